// The ID.me bridge in one resource group: a Flex Consumption Function App running the Go custom
// handler, its user-assigned identity, identity-only storage, Key Vault and monitoring.
// azd provisions it (azd up); az deployment sub create works too (infra/README.md).
// Shape and API versions follow Azure-Samples/functions-quickstart-dotnet-azd (infra/main.bicep).
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the environment (azd env name); a hash of it names every resource.')
param environmentName string

@minLength(1)
@description('Region of every resource; it must offer the Flex Consumption plan (az functionapp list-flexconsumption-locations).')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Object id of whoever runs azd (azd fills it). Granted data access only with grantDeployerDataAccess, and only when it is a person.')
param principalId string = ''

@allowed(['User', 'ServicePrincipal', 'Group'])
@description('Kind of principalId: azd fills User for a person, ServicePrincipal for a pipeline.')
param principalType string = 'User'

// azd grants its "deployer" whatever the template gives principalId, and in a pipeline that is
// the pipeline's service principal: Secrets Officer would let it read every secret. Off unless
// an operator turns it on for their own sign-in (README "Deploy to Azure", step 1).
@description('Give the person running azd Key Vault Secrets Officer and Storage Blob Data Owner, to store the secrets and run the doctor. Ignored unless principalType is User.')
param grantDeployerDataAccess bool = false

@allowed(['sandbox', 'production'])
@description('ID.me environment: sandbox (api.idmelabs.com) or production (api.id.me).')
param idmeEnvironment string = 'sandbox'

@minLength(1)
@description('Client id of the ID.me application (its secret goes into Key Vault as idme-client-secret).')
param idmeClientId string

// An array, not a JSON string: ARM reads a string parameter that starts with '[' as an
// expression when it passes it to a module. The app setting is its JSON text.
@minLength(1)
@description('BRIDGE_CLIENTS: the B2C / External ID tenants allowed to sign in, as the JSON array the README shows (each names its secret, never holds it).')
param bridgeClients array

@description('Public base URL of the bridge when it is served from a custom domain; empty: https://<app>.azurewebsites.net.')
param bridgeIssuer string = ''

@description('ID.me groups page for several communities at once (production only); empty: off.')
param idmeGroupsUrl string = ''

@description('Extra ID.me attribute to claim rows: handle=claim,...')
param claimMappings string = ''

@description('Keep one record per completed verification in the verification container.')
param verificationRecords bool = false

@description('Sensitive claims to keep in verification records (comma separated).')
param verificationInclude string = ''

@allowed(['debug', 'info', 'warn', 'error'])
param logLevel string = 'info'

@description('Entra External ID tenant GUID; set: the bridge serves the token issuance start extension (needs verificationRecords).')
param externalIdTenantId string = ''

@description('The External ID tenant\'s ciamlogin.com subdomain (contoso for contoso.ciamlogin.com).')
param externalIdTenantSubdomain string = ''

@description('Application (client) ID of the custom authentication extension\'s app registration.')
param externalIdExtensionAppId string = ''

@description('Its application ID URI (api://...), when tokens carry that as audience.')
param externalIdExtensionAppIdUri string = ''

@description('App registration that reads Graph in the External ID tenant, trusting the bridge\'s managed identity as its federated credential.')
param externalIdGraphClientId string = ''

@description('Key Vault purge protection (recommended in production; cannot be turned off again).')
param keyVaultPurgeProtection bool = false

@allowed(['Allow', 'Deny'])
@description('Key Vault firewall: Allow (any network; RBAC still decides who reads) or Deny (only keyVaultAllowedIpRanges and trusted Azure services). Deny needs the app\'s outbound addresses listed or VNet integration: infra/README.md.')
param keyVaultNetworkDefaultAction string = 'Allow'

@description('With Deny: IPv4 addresses or CIDR ranges allowed to reach the vault (the app\'s outbound addresses, the operator\'s machine).')
param keyVaultAllowedIpRanges array = []

@description('Send the vault\'s AuditEvent logs (every secret read and write) to the Log Analytics workspace.')
param keyVaultAuditLogs bool = false

@description('E-mail address the alerts are sent to (an action group); empty: the alerts fire in Azure Monitor but notify no one.')
param alertEmail string = ''

@description('Alert when an instance that is still running has been not ready for more than this many minutes.')
param alertNotReadyMinutes int = 5

@description('Alert when more than this percentage of sign-ins in 15 minutes fail on the bridge\'s or ID.me\'s side.')
param alertFailedSignInPercent int = 10

@description('Judge the failed share only over at least this many sign-ins in 15 minutes.')
param alertMinSignIns int = 20

@description('Alert when more than this many sign-ins in 15 minutes end in an ID.me error or timeout.')
param alertIdmeFailures int = 5

@description('Alert when more than this many extension or connector calls in 15 minutes are answered without claims for a reason other than "not an ID.me user".')
param alertAnswersWithoutClaims int = 10

@description('Optional names; empty: generated from the environment name.')
param resourceGroupName string = ''
param functionAppName string = ''
param keyVaultName string = ''
param storageAccountName string = ''

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var appName = !empty(functionAppName) ? functionAppName : 'func-idme-${resourceToken}'
// Flex Consumption pulls the app package from this container, through the identity. Container
// names are 3-63 lowercase letters, digits and single hyphens, starting and ending with a letter
// or digit; a functionAppName may hold capitals, other characters or runs of hyphens. So: its
// lowercase letters and digits, joined by single hyphens, at most 32 characters, trimmed again
// after the cut, then 7 characters of the token. The default name comes through unchanged.
// infra/names_test.go replays these lines over awkward names.
var appNameChars = map(range(0, length(appName)), i => toLower(substring(appName, i, 1)))
var appNameKept = join(filter(appNameChars, c => contains('abcdefghijklmnopqrstuvwxyz0123456789-', c)), '')
var appNameWords = join(filter(split(appNameKept, '-'), w => !empty(w)), '-')
var appNamePart = join(filter(split(take(appNameWords, 32), '-'), w => !empty(w)), '-')
var deploymentContainerName = empty(appNamePart) ? 'app-package-${take(resourceToken, 7)}' : 'app-package-${appNamePart}-${take(resourceToken, 7)}'
// Containers the bridge writes; the settings name them too (BRIDGE_STORE_CONTAINER and
// BRIDGE_VERIFICATION_CONTAINER), and the lifecycle rule matches the first.
var storeContainerName = 'idme-bridge'
var verificationContainerName = 'idme-verifications'

resource rg 'Microsoft.Resources/resourceGroups@2024-11-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-idme-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
  }
}

module workbook 'app/workbook.bicep' = {
  name: 'workbook'
  scope: rg
  params: {
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    location: location
    tags: tags
  }
}

module alerts 'app/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    location: location
    tags: tags
    email: alertEmail
    notReadyMinutes: alertNotReadyMinutes
    failedSignInPercent: alertFailedSignInPercent
    minSignIns: alertMinSignIns
    idmeFailures: alertIdmeFailures
    answersWithoutClaims: alertAnswersWithoutClaims
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: !empty(storageAccountName) ? storageAccountName : 'st${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    storeContainerName: storeContainerName
    verificationContainerName: verificationContainerName
  }
}

module keyVault 'app/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: !empty(keyVaultName) ? keyVaultName : 'kv-${resourceToken}'
    location: location
    tags: tags
    purgeProtection: keyVaultPurgeProtection
    networkDefaultAction: keyVaultNetworkDefaultAction
    allowedIpRanges: keyVaultAllowedIpRanges
    auditWorkspaceId: keyVaultAuditLogs ? monitoring.outputs.logAnalyticsId : ''
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    identityPrincipalId: identity.outputs.principalId
    deployerPrincipalId: principalId
    deployerPrincipalType: principalType
    grantDeployerDataAccess: grantDeployerDataAccess
  }
}

module bridge 'app/bridge.bicep' = {
  name: 'bridge'
  scope: rg
  params: {
    name: appName
    planName: 'plan-${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    storeContainerName: storeContainerName
    verificationContainerName: verificationContainerName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    keyVaultUri: keyVault.outputs.uri
    issuer: bridgeIssuer
    idmeEnvironment: idmeEnvironment
    idmeClientId: idmeClientId
    bridgeClients: bridgeClients
    idmeGroupsUrl: idmeGroupsUrl
    claimMappings: claimMappings
    verificationRecords: verificationRecords
    verificationInclude: verificationInclude
    logLevel: logLevel
    externalIdTenantId: externalIdTenantId
    externalIdTenantSubdomain: externalIdTenantSubdomain
    externalIdExtensionAppId: externalIdExtensionAppId
    externalIdExtensionAppIdUri: externalIdExtensionAppIdUri
    externalIdGraphClientId: externalIdGraphClientId
  }
  // The host reads its storage and the bridge its secrets through the identity from the
  // first start: grant the roles before the app exists.
  dependsOn: [rbac]
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_NAME string = bridge.outputs.name
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
// What to register and configure elsewhere: the issuer B2C's policies point at, and the two
// redirect URIs the ID.me application must list exactly.
output BRIDGE_URL string = bridge.outputs.issuer
output BRIDGE_DISCOVERY_URL string = '${bridge.outputs.issuer}/.well-known/openid-configuration'
output IDME_REDIRECT_URI string = '${bridge.outputs.issuer}/callback'
output IDME_LOGOUT_REDIRECT_URI string = '${bridge.outputs.issuer}/logout/callback'
