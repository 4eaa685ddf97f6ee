// Log search alerts over the bridge's outcome events (internal/outcome), and the action group
// that e-mails them. Without an e-mail address there is no action group: the alerts still fire
// and show under Azure Monitor > Alerts, but notify no one.
// Shapes checked against Azure/bicep-types-az: generated/monitor_1/microsoft.insights/2023-12-01/types.md
// (scheduledQueryRules) and generated/monitor_1/microsoft.insights/2023-01-01/types.md (actionGroups).
// The queries live in alerts/*.kql, each preceded by `let` lines carrying the thresholds: Bicep
// multi-line strings cannot interpolate, and infra/queries_test.go reads the same files.
param applicationInsightsName string
param location string
param tags object = {}

@description('E-mail address the alerts are sent to; empty: no action group, the alerts notify no one.')
param email string = ''

@minValue(1)
@description('Minutes an instance that is still running may stay not ready before the alert fires.')
param notReadyMinutes int = 5

@minValue(1)
@maxValue(100)
@description('Percentage of sign-ins failing on the bridge\'s or ID.me\'s side, over 15 minutes, above which the alert fires.')
param failedSignInPercent int = 10

@minValue(1)
@description('Sign-ins in 15 minutes below which the failed share is not judged (too few to mean anything).')
param minSignIns int = 20

@minValue(0)
@description('ID.me errors and timeouts in 15 minutes above which the alert fires.')
param idmeFailures int = 5

@minValue(0)
@description('Extension or connector answers without claims, other than "not an ID.me user", in 15 minutes above which the alert fires.')
param answersWithoutClaims int = 10

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(email)) {
  name: 'ag-${applicationInsightsName}'
  // Action groups are global resources.
  location: 'Global'
  tags: tags
  properties: {
    groupShortName: 'idmebridge'
    enabled: true
    emailReceivers: [
      {
        name: 'operator'
        emailAddress: email
        useCommonAlertSchema: true
      }
    ]
  }
}

var actionGroups = empty(email) ? [] : [actionGroup.id]

// Each rule: the query counts rows that are a problem; more than `threshold` of them fires.
var rules = [
  {
    name: 'bridge-not-ready'
    displayName: 'ID.me bridge: an instance not ready'
    description: 'An instance that is still logging has been not ready for more than ${notReadyMinutes} minutes (secrets or keys missing: its log says what).'
    severity: 1
    query: 'let notReadyMinutes = ${notReadyMinutes};\n${loadTextContent('alerts/not-ready.kql')}'
    threshold: 0
    windowSize: 'PT5M'
    // Readiness events mark changes only: look back far enough to find the last one (two days
    // is the most a log search alert may query).
    overrideQueryTimeRange: 'P2D'
  }
  {
    name: 'failed-sign-ins'
    displayName: 'ID.me bridge: failed sign-ins'
    description: 'More than ${failedSignInPercent}% of at least ${minSignIns} sign-ins in 15 minutes failed (ID.me error or timeout, storage error, invalid request, server error).'
    severity: 2
    query: 'let failedPercent = ${failedSignInPercent};\nlet minSignIns = ${minSignIns};\n${loadTextContent('alerts/failed-signins.kql')}'
    threshold: 0
    windowSize: 'PT15M'
    overrideQueryTimeRange: ''
  }
  {
    name: 'idme-failures'
    displayName: 'ID.me bridge: ID.me errors or timeouts'
    description: 'More than ${idmeFailures} sign-ins in 15 minutes ended in an ID.me error or timeout.'
    severity: 2
    query: loadTextContent('alerts/idme-failures.kql')
    threshold: idmeFailures
    windowSize: 'PT15M'
    overrideQueryTimeRange: ''
  }
  {
    name: 'answers-without-claims'
    displayName: 'ID.me bridge: extension or connector answers without claims'
    description: 'More than ${answersWithoutClaims} External ID extension or API connector calls in 15 minutes were answered without claims for a reason other than "not an ID.me user".'
    severity: 3
    query: loadTextContent('alerts/answers-without-claims.kql')
    threshold: answersWithoutClaims
    windowSize: 'PT15M'
    overrideQueryTimeRange: ''
  }
]

resource alert 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [for rule in rules: {
  name: 'alert-${rule.name}-${applicationInsightsName}'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: rule.displayName
    description: rule.description
    severity: rule.severity
    enabled: true
    scopes: [applicationInsights.id]
    evaluationFrequency: 'PT5M'
    windowSize: rule.windowSize
    overrideQueryTimeRange: empty(rule.overrideQueryTimeRange) ? null : rule.overrideQueryTimeRange
    criteria: {
      allOf: [
        {
          query: rule.query
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: rule.threshold
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: actionGroups
    }
  }
}]
