// Key Vault for the bridge's secrets (ID.me client secret, each client's secret, the state key,
// the signing key set). Access is by Azure RBAC only: the identity reads secrets with 'Key Vault
// Secrets User' (rbac.bicep); nothing is granted by access policy.
// The samples keep no Key Vault; this is the plain Microsoft.KeyVault/vaults resource with the
// properties Azure Verified Modules' avm/res/key-vault/vault sets by default (RBAC, soft delete;
// purge protection as a choice).
param name string
param location string
param tags object = {}

@description('Purge protection: a deleted vault or secret cannot be purged before its 90 days. Recommended in production; it cannot be turned off again, and azd down then leaves the vault name taken for 90 days.')
param purgeProtection bool = false

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
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
