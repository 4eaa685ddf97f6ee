// The bridge's user-assigned managed identity: storage (host and single-use records), Key Vault
// secrets and Application Insights are reached with it, never with keys.
// Follows Azure-Samples/functions-quickstart-dotnet-azd, which uses the AVM module
// avm/res/managed-identity/user-assigned-identity; written as the plain resource here.
param name string
param location string
param tags object = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output principalId string = identity.properties.principalId
output clientId string = identity.properties.clientId
