// The sign-in workbook, shown under Application Insights > Workbooks: charts over the bridge's
// outcome events (internal/outcome). workbook.json is the workbook as the portal's Advanced
// Editor shows it (Notebook/1.0); edit it there and paste it back to change a chart.
// Follows Azure/AzureMonitorStarterPacks setup/backend/code/modules/workbook.bicep (kind shared,
// category workbook, guid name, serializedData from loadTextContent); properties checked against
// Azure/bicep-types-az generated/applicationinsights/microsoft.insights/2023-06-01/types.md.
param applicationInsightsName string
param location string
param tags object = {}
param displayName string = 'ID.me bridge sign-ins'

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// Queries without a resource of their own run against the workbook's fallback resource, the
// Application Insights component whose traces hold the events.
var definition = union(json(loadTextContent('workbook.json')), {
  fallbackResourceIds: [applicationInsights.id]
})

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  // Workbooks are named by a GUID (as in the sample); a stable one makes a redeployment update
  // this workbook rather than add another.
  name: guid(applicationInsights.id, 'idme-bridge-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: displayName
    category: 'workbook'
    sourceId: applicationInsights.id
    version: 'Notebook/1.0'
    serializedData: string(definition)
  }
}

output id string = workbook.id
