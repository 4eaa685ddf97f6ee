// The Function App: Flex Consumption (FC1), Linux, runtime custom 1.0 (the Go handler named in
// host.json), user-assigned identity for storage, deployment package, Key Vault and telemetry.
// Follows Azure-Samples/functions-quickstart-dotnet-azd infra/app/api.bicep (functionAppConfig,
// identity-based AzureWebJobsStorage, Application Insights by connection string with Entra
// auth) and azure-functions-flex-consumption-samples IaC/armtemplate (plan and site resources).
param name string
param planName string
param location string
param tags object = {}
param identityId string
param identityClientId string
param storageAccountName string
param deploymentContainerName string
param storeContainerName string
param verificationContainerName string
param applicationInsightsName string
param keyVaultUri string

@description('Public base URL when a custom domain fronts the app; empty: the app\'s own https host name.')
param issuer string = ''
param idmeEnvironment string
param idmeClientId string
@description('BRIDGE_CLIENTS entries; the setting is their JSON text.')
param bridgeClients array
param idmeGroupsUrl string = ''
param claimMappings string = ''
param verificationRecords bool = false
param verificationInclude string = ''
param logLevel string = 'info'
@description('External ID custom authentication extension; empty tenant id: off.')
param externalIdTenantId string = ''
param externalIdTenantSubdomain string = ''
param externalIdExtensionAppId string = ''
param externalIdExtensionAppIdUri string = ''
param externalIdGraphClientId string = ''

@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

// External ID waits for the custom authentication extension 1,000 ms by default and 2,000 ms at
// most (one retry); a Flex app scaled to zero starts the host and then the handler, which can take
// longer, so the HTTP scale group keeps one instance running while the extension is on. The group name and shape are Microsoft's
// (learn.microsoft.com "Flex Consumption plan hosting", per-function scaling: the HTTP triggers
// group is `http`; Azure/bicep-types-az generated/web/microsoft.web/2024-04-01/types.md,
// FunctionsScaleAndConcurrency.alwaysReady: FunctionsAlwaysReadyConfig[] of {name, instanceCount}).
// It is billed around the clock (README "Entra External ID").
var alwaysReady = empty(externalIdTenantId) ? [] : [
  {
    name: 'http'
    instanceCount: 1
  }
]

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  // azd finds the app to deploy the "bridge" service of azure.yaml by this tag.
  tags: union(tags, { 'azd-service-name': 'bridge' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
        alwaysReady: alwaysReady
      }
      runtime: {
        name: 'custom'
        version: '1.0'
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
  }
}

// No FTP or basic-auth deployments: azd, az and the portal deploy with Entra ID.
resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

var issuerUrl = !empty(issuer) ? issuer : 'https://${site.properties.defaultHostName}'

// Every setting the bridge reads (internal/config), one per line: a test compares this block
// with the code's list. Secrets appear by Key Vault secret NAME only; their values go into the
// vault (README: "Put the secrets in Key Vault").
var bridgeSettings = {
  BRIDGE_ISSUER: issuerUrl
  BRIDGE_CLIENTS: string(bridgeClients)
  IDME_ENVIRONMENT: idmeEnvironment
  IDME_CLIENT_ID: idmeClientId
  IDME_CLIENT_SECRET_NAME: 'idme-client-secret'
  IDME_GROUPS_URL: idmeGroupsUrl
  IDME_TIMEOUT: '10s'
  BRIDGE_STATE_KEY_SECRET_NAME: 'bridge-state-key'
  BRIDGE_SIGNING_KEYS_SECRET_NAME: 'bridge-signing-keys'
  BRIDGE_SIGNING_KEY_LEAD: '72h'
  BRIDGE_CODE_TTL: '1m'
  BRIDGE_TOKEN_TTL: '10m'
  BRIDGE_STATE_TTL: '30m'
  BRIDGE_CLAIM_MAPPINGS: claimMappings
  BRIDGE_LOG_LEVEL: logLevel
  BRIDGE_KEY_VAULT_URL: keyVaultUri
  BRIDGE_SECRETS_REFRESH: '5m'
  AZURE_CLIENT_ID: identityClientId
  BRIDGE_STORE: 'blob'
  BRIDGE_STORE_CONTAINER: storeContainerName
  BRIDGE_VERIFICATION_RECORDS: verificationRecords ? 'true' : 'false'
  BRIDGE_VERIFICATION_CONTAINER: verificationContainerName
  BRIDGE_VERIFICATION_INCLUDE: verificationInclude
  EXTERNALID_TENANT_ID: externalIdTenantId
  EXTERNALID_TENANT_SUBDOMAIN: externalIdTenantSubdomain
  EXTERNALID_EXTENSION_APP_ID: externalIdExtensionAppId
  EXTERNALID_EXTENSION_APP_ID_URI: externalIdExtensionAppIdUri
  EXTERNALID_EXTENSION_BUDGET: '900ms'
  EXTERNALID_GRAPH_URL: 'https://graph.microsoft.com'
  EXTERNALID_GRAPH_CLIENT_ID: externalIdGraphClientId
  B2C_API_CONNECTOR_BUDGET: '3s'
  B2C_API_CONNECTOR_CLAIM_PREFIX: 'extension_Idme'
  B2C_API_CONNECTOR_ISSUERS: ''
  AzureWebJobsStorage__accountName: storage.name
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
}

// The Functions host's own settings (not the bridge's).
var hostSettings = {
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
}

// A separate resource, so the settings can name the app's own host name.
resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: union(bridgeSettings, hostSettings)
}

output name string = site.name
output issuer string = issuerUrl
