// Log Analytics and workspace-based Application Insights. Local (key) authentication is off, as
// in the samples: the host sends telemetry with the identity (APPLICATIONINSIGHTS_AUTHENTICATION_STRING)
// and holds the Monitoring Metrics Publisher role (rbac.bicep).
// Follows Azure-Samples/azure-functions-flex-consumption-samples IaC/armtemplate/azuredeploy.json
// (resource shapes, API versions) and functions-quickstart-dotnet-azd (disableLocalAuth).
param logAnalyticsName string
param applicationInsightsName string
param location string
param tags object = {}

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2025-02-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    retentionInDays: 30
    features: {
      searchVersion: 1
    }
    sku: {
      name: 'PerGB2018'
    }
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    DisableLocalAuth: true
  }
}

output applicationInsightsName string = applicationInsights.name
output logAnalyticsName string = logAnalytics.name
output logAnalyticsId string = logAnalytics.id
