// The one storage account: the Functions host's (AzureWebJobsStorage), the deployment package's
// and the bridge's records. Shared keys are off, so only identities with a data role get in.
// Follows Azure-Samples/azure-functions-flex-consumption-samples IaC/armtemplate/azuredeploy.json
// (account, blob service, container) and functions-quickstart-dotnet-azd (allowSharedKeyAccess,
// TLS, public blob access off); the lifecycle rule is the managementPolicies resource.
param name string
param location string
param tags object = {}
param deploymentContainerName string
@description('Single-use records (codes, replay ledger): deleted by the lifecycle rule a day after their last write.')
param storeContainerName string
@description('Verification records, when BRIDGE_VERIFICATION_RECORDS is on: kept until you delete them.')
param verificationContainerName string

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Standard_LRS'
  }
  kind: 'StorageV2'
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    dnsEndpointType: 'Standard'
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2024-01-01' = {
  parent: storage
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource storeContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' = {
  parent: blobService
  name: storeContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource verificationContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' = {
  parent: blobService
  name: verificationContainerName
  properties: {
    publicAccess: 'None'
  }
}

// Records outlive their TTL (minutes) only until this rule runs: the bridge never needs them
// after a day, and no personal data piles up. The rule runs about once a day, so the bridge
// still checks each record's expiry itself.
resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2024-01-01' = {
  parent: storage
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'delete-single-use-records'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [
                'blockBlob'
              ]
              prefixMatch: [
                '${storeContainer.name}/'
              ]
            }
            actions: {
              baseBlob: {
                delete: {
                  daysAfterModificationGreaterThan: 1
                }
              }
            }
          }
        }
      ]
    }
  }
}

output name string = storage.name
output blobEndpoint string = storage.properties.primaryEndpoints.blob
