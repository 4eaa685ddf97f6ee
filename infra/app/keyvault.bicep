// Key Vault for the bridge's secrets (ID.me client secret, each client's secret, the state key,
// the signing key set). Access is by Azure RBAC only: the identity reads secrets with 'Key Vault
// Secrets User' (rbac.bicep); nothing is granted by access policy.
// The samples keep no Key Vault; this is the plain Microsoft.KeyVault/vaults resource with the
// properties Azure Verified Modules' avm/res/key-vault/vault sets by default (RBAC, soft delete;
// purge protection as a choice). networkAcls and the diagnostic setting follow the property
// shapes of Azure/bicep-types-az generated/keyvault/microsoft.keyvault/2023-07-01/types.md
// (NetworkRuleSet, IPRule) and generated/monitor_1/microsoft.insights/2021-05-01-preview/types.md
// (DiagnosticSettings, LogSettings).
param name string
param location string
param tags object = {}

@description('Purge protection: a deleted vault or secret cannot be purged before its 90 days. Recommended in production; it cannot be turned off again, and azd down then leaves the vault name taken for 90 days.')
param purgeProtection bool = false

// Off by default: a Flex Consumption app reaches the vault from shared outbound addresses, so
// Deny works only with those addresses listed, or with VNet integration (not in these templates).
@allowed(['Allow', 'Deny'])
@description('Firewall default: Allow, or Deny with allowedIpRanges and trusted Azure services let through.')
param networkDefaultAction string = 'Allow'

@description('IPv4 addresses or CIDR ranges allowed through when networkDefaultAction is Deny.')
param allowedIpRanges array = []

@description('Log Analytics workspace resource id for the AuditEvent logs; empty: no diagnostic setting.')
param auditWorkspaceId string = ''

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    // ARM refuses false once set; null leaves it off.
    enablePurgeProtection: purgeProtection ? true : null
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: networkDefaultAction
      ipRules: [for range in allowedIpRanges: {
        value: range
      }]
    }
  }
}

// Every secret read and write, by whom and from where (table AZKVAuditLogs with the Dedicated
// destination type: Azure Monitor "Supported logs for Microsoft.KeyVault/vaults", category AuditEvent).
resource audit 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = if (!empty(auditWorkspaceId)) {
  name: 'audit-to-log-analytics'
  scope: vault
  properties: {
    workspaceId: auditWorkspaceId
    logAnalyticsDestinationType: 'Dedicated'
    logs: [
      {
        category: 'AuditEvent'
        enabled: true
      }
    ]
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
