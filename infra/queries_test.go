package infra_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"idmebridge/internal/outcome"
)

// Every resource type and API version the templates declare, with the Azure/bicep-types-az file
// (generated/<path>/types.md, "## Resource <type>@<version>") its properties were checked against.
var checkedResourceTypes = map[string]string{
	"Microsoft.Resources/resourceGroups@2024-11-01":                        "resources_11/microsoft.resources/2024-11-01",
	"Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31":          "msi/microsoft.managedidentity/2023-01-31",
	"Microsoft.OperationalInsights/workspaces@2025-02-01":                  "operationalinsights/microsoft.operationalinsights/2025-02-01",
	"Microsoft.Insights/components@2020-02-02":                             "applicationinsights/microsoft.insights/2020-02-02",
	"Microsoft.Insights/workbooks@2023-06-01":                              "applicationinsights/microsoft.insights/2023-06-01",
	"Microsoft.Insights/scheduledQueryRules@2023-12-01":                    "monitor_1/microsoft.insights/2023-12-01",
	"Microsoft.Insights/actionGroups@2023-01-01":                           "monitor_1/microsoft.insights/2023-01-01",
	"Microsoft.Insights/diagnosticSettings@2021-05-01-preview":             "monitor_1/microsoft.insights/2021-05-01-preview",
	"Microsoft.Storage/storageAccounts@2024-01-01":                         "storage/microsoft.storage/2024-01-01",
	"Microsoft.Storage/storageAccounts/blobServices@2024-01-01":            "storage/microsoft.storage/2024-01-01",
	"Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01": "storage/microsoft.storage/2024-01-01",
	"Microsoft.Storage/storageAccounts/managementPolicies@2024-01-01":      "storage/microsoft.storage/2024-01-01",
	"Microsoft.KeyVault/vaults@2023-07-01":                                 "keyvault/microsoft.keyvault/2023-07-01",
	"Microsoft.Authorization/roleAssignments@2022-04-01":                   "authorization/microsoft.authorization/2022-04-01",
	"Microsoft.Web/serverfarms@2024-04-01":                                 "web/microsoft.web/2024-04-01",
	"Microsoft.Web/sites@2024-04-01":                                       "web/microsoft.web/2024-04-01",
	"Microsoft.Web/sites/config@2024-04-01":                                "web/microsoft.web/2024-04-01",
	"Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01":    "web/microsoft.web/2024-04-01",
}

var resourceDecl = regexp.MustCompile(`(?m)^resource\s+\w+\s+'([^']+)'`)

// A new type or version needs its properties checked before it goes on the list.
func TestResourceTypesAreChecked(t *testing.T) {
	for _, f := range bicepFiles(t) {
		for _, m := range resourceDecl.FindAllStringSubmatch(f.text, -1) {
			if _, ok := checkedResourceTypes[m[1]]; !ok {
				t.Errorf("%s declares %s, which is not among the checked resource types", f.path, m[1])
			}
		}
	}
}

// query is one KQL query the workbook or an alert runs, with where it comes from.
type query struct {
	from, text string
}

// workbook is the part of workbook.json the tests read: the published Notebook/1.0 shape
// (Microsoft/Application-Insights-Workbooks schema/workbook.json): items of type 1 (text),
// 9 (parameters) and 3 (a query: KqlItem/1.0 with query, queryType 0 for logs, resourceType,
// visualization).
type workbook struct {
	Version string `json:"version"`
	Items   []struct {
		Type    int    `json:"type"`
		Name    string `json:"name"`
		Content struct {
			Version                  string `json:"version"`
			JSON                     string `json:"json"`
			Query                    string `json:"query"`
			Title                    string `json:"title"`
			QueryType                *int   `json:"queryType"`
			ResourceType             string `json:"resourceType"`
			Visualization            string `json:"visualization"`
			TimeContextFromParameter string `json:"timeContextFromParameter"`
			Parameters               []struct {
				Name string `json:"name"`
				Type int    `json:"type"`
			} `json:"parameters"`
		} `json:"content"`
	} `json:"items"`
}

func readWorkbook(t *testing.T) workbook {
	t.Helper()
	data, err := os.ReadFile(infraPath("app", "workbook.json"))
	if err != nil {
		t.Fatal(err)
	}
	var wb workbook
	if err := json.Unmarshal(data, &wb); err != nil {
		t.Fatalf("workbook.json: %v", err)
	}
	return wb
}

// The charts the workbook must have, by item name.
var workbookCharts = []string{
	"signins", "funnel", "clients", "communities", "failures", "failures-time",
	"stages", "readiness", "answers", "secrets",
}

func TestWorkbookShape(t *testing.T) {
	wb := readWorkbook(t)
	if wb.Version != "Notebook/1.0" {
		t.Errorf("workbook.json version %q, want Notebook/1.0", wb.Version)
	}
	params := map[string]bool{}
	names := map[string]bool{}
	for _, it := range wb.Items {
		if names[it.Name] {
			t.Errorf("workbook.json: two items named %q", it.Name)
		}
		names[it.Name] = true
		if it.Type == 9 {
			for _, p := range it.Content.Parameters {
				params[p.Name] = true
			}
		}
	}
	for i, it := range wb.Items {
		switch it.Type {
		case 1:
			if it.Content.JSON == "" {
				t.Errorf("workbook.json item %d (%s): text without json", i, it.Name)
			}
		case 3:
			c := it.Content
			if c.Version != "KqlItem/1.0" || c.QueryType == nil || *c.QueryType != 0 ||
				c.ResourceType != "microsoft.insights/components" || c.Visualization == "" || c.Title == "" || c.Query == "" {
				t.Errorf("workbook.json item %s: want KqlItem/1.0, queryType 0, resourceType microsoft.insights/components, a title, a query and a visualization; got %+v", it.Name, c)
			}
			if !params[c.TimeContextFromParameter] {
				t.Errorf("workbook.json item %s takes its time range from %q, which no parameter declares", it.Name, c.TimeContextFromParameter)
			}
		case 9:
		default:
			t.Errorf("workbook.json item %s: type %d", it.Name, it.Type)
		}
	}
	for _, name := range workbookCharts {
		found := false
		for _, it := range wb.Items {
			found = found || (it.Name == name && it.Type == 3)
		}
		if !found {
			t.Errorf("workbook.json has no query item %q", name)
		}
	}
}

func TestWorkbookResource(t *testing.T) {
	f := readBicep(t, infraPath("app", "workbook.bicep"))
	// WorkbookProperties of Microsoft.Insights/workbooks@2023-06-01: category, displayName and
	// serializedData required; kind 'shared'; version "should match the workbook in
	// serializedData" (bicep-types-az applicationinsights/microsoft.insights/2023-06-01).
	re := regexp.MustCompile(`(?m)^resource workbook 'Microsoft\.Insights/workbooks@2023-06-01' = \{`)
	loc := re.FindStringIndex(f.text)
	if loc == nil {
		t.Fatal("workbook.bicep: no workbook resource at 2023-06-01")
	}
	body, bodyCode := f.block(t, loc[1]-1)
	keys := objectKeys(body, bodyCode)
	if keys["kind"] != "'shared'" || !strings.HasPrefix(keys["name"], "guid(applicationInsights.id,") {
		t.Errorf("workbook.bicep: kind %s, name %s; want 'shared' and a stable guid()", keys["kind"], keys["name"])
	}
	p := regexp.MustCompile(`properties:\s*\{`).FindStringIndex(bodyCode)
	if p == nil {
		t.Fatal("workbook.bicep: no properties")
	}
	sub := bicepFile{path: f.path, text: body, code: bodyCode}
	props := objectKeys(sub.block(t, p[1]-1))
	want := map[string]string{
		"category":       "'workbook'",
		"sourceId":       "applicationInsights.id",
		"version":        "'" + readWorkbook(t).Version + "'",
		"serializedData": "string(definition)",
		"displayName":    "displayName",
	}
	for k, v := range want {
		if props[k] != v {
			t.Errorf("workbook.bicep properties.%s = %q, want %q", k, props[k], v)
		}
	}
	if !strings.Contains(f.text, "var definition = union(json(loadTextContent('workbook.json')), {\n  fallbackResourceIds: [applicationInsights.id]\n})") {
		t.Error("workbook.bicep: serializedData must be workbook.json with the component as fallback resource")
	}
}

// alertQueries returns each alerts/*.kql file the alerts module loads, keyed by file name, with
// the `let` lines the module puts before it.
func alertQueries(t *testing.T) (map[string]string, map[string][]string) {
	t.Helper()
	f := readBicep(t, infraPath("app", "alerts.bicep"))
	loads := regexp.MustCompile(`loadTextContent\('(alerts/[^']+\.kql)'\)`).FindAllStringSubmatchIndex(f.text, -1)
	if len(loads) == 0 {
		t.Fatal("alerts.bicep loads no query")
	}
	queries, lets := map[string]string{}, map[string][]string{}
	for _, l := range loads {
		name := f.text[l[2]:l[3]]
		data, err := os.ReadFile(infraPath("app", name))
		if err != nil {
			t.Fatal(err)
		}
		queries[name] = string(data)
		line := f.text[strings.LastIndex(f.text[:l[0]], "\n")+1 : l[0]]
		for _, m := range regexp.MustCompile(`let (\w+) = \$\{(\w+)\};`).FindAllStringSubmatch(line, -1) {
			lets[name] = append(lets[name], m[1])
			if _, ok := f.params()[m[2]]; !ok {
				t.Errorf("alerts.bicep: %s's %s is %s, which is no parameter", name, m[1], m[2])
			}
		}
	}
	// Every file in alerts/ is used.
	files, err := filepath.Glob(infraPath("app", "alerts", "*.kql"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(queries) {
		t.Errorf("alerts/ holds %d queries, alerts.bicep loads %d", len(files), len(queries))
	}
	return queries, lets
}

func allQueries(t *testing.T) []query {
	t.Helper()
	var out []query
	for _, it := range readWorkbook(t).Items {
		if it.Type == 3 {
			out = append(out, query{from: "workbook.json " + it.Name, text: it.Content.Query})
		}
	}
	aq, _ := alertQueries(t)
	for name, text := range aq {
		out = append(out, query{from: name, text: text})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].from < out[j].from })
	return out
}

// The Functions host files each stdout line of a custom handler as one trace whose message is
// the line: WorkerProcess.OnOutputDataReceived -> BuildAndLogConsoleLog -> WorkerConsoleLogService
// logs consoleLog.Message with category Host.Function.Console (Azure/azure-functions-host
// src/WebJobs.Script/Workers/ProcessManagement/WorkerProcess.cs, Workers/WorkerConsoleLogService.cs,
// WorkerConstants.ConsoleLogCategoryName). Only ILogger template arguments become
// customDimensions (prop__<name>, "Monitor Azure Functions", structured logging), so the JSON's
// fields are read with parse_json(message); customDimensions is tried first should a host
// version ever file them there. Every query starts the same way.
const eventsPrelude = `traces
| where message has "outcome"
| extend e = iff(isnotempty(customDimensions.event), customDimensions, parse_json(message))
| where tostring(e.msg) == "outcome" or message == "outcome"
| extend evt = tostring(e.event), outcome = tostring(e.outcome)
`

var (
	fieldRead    = regexp.MustCompile(`\b(?:e|customDimensions)\.([A-Za-z_]\w*)`)
	stringLit    = regexp.MustCompile(`"([^"\\]*)"`)
	compareOne   = regexp.MustCompile(`\b(evt|outcome)\s*(?:==|!=)\s*"([^"]*)"`)
	compareList  = regexp.MustCompile(`\b(evt|outcome)\s*!?in\s*\(([^)]*)\)`)
	identLiteral = regexp.MustCompile(`^[a-z][a-z_]*$`)
	// evt == "x" and outcome == "y" (or outcome in (...)): y must be an outcome of x itself.
	pairedCompare = regexp.MustCompile(`\bevt\s*==\s*"([^"]*)"\s+and\s+outcome\s*(?:(?:==|!=)\s*"([^"]*)"|!?in\s*\(([^)]*)\))`)
)

// queryNames is what one query reads: fields, and the event and outcome values it compares.
type queryNames struct {
	fields, events, outcomes []string
}

func namesIn(q string) queryNames {
	var n queryNames
	for _, m := range fieldRead.FindAllStringSubmatch(q, -1) {
		n.fields = append(n.fields, m[1])
	}
	add := func(col, val string) {
		if col == "evt" {
			n.events = append(n.events, val)
		} else {
			n.outcomes = append(n.outcomes, val)
		}
	}
	for _, m := range compareOne.FindAllStringSubmatch(q, -1) {
		add(m[1], m[2])
	}
	for _, m := range compareList.FindAllStringSubmatch(q, -1) {
		for _, s := range stringLit.FindAllStringSubmatch(m[2], -1) {
			add(m[1], s[1])
		}
	}
	return n
}

// eventLines are the events the bridge emitted in a test run, when that file exists.
func eventLines(t *testing.T) []map[string]any {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot, "internal", "outcome", "testdata", "events.jsonl"))
	if errors.Is(err, fs.ErrNotExist) {
		t.Log("internal/outcome/testdata/events.jsonl absent: names checked against package outcome only")
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("events.jsonl: %v", err)
		}
		out = append(out, m)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// Every field, event and outcome a query reads is one the events carry. What an event carries
// is its shape (outcome.Shape), which the packages that log it hold every line of every outcome
// to (internal/provider, idme, authext, apiconnector, app: their outcome tests provoke each
// outcome of the closed lists); and the events recorded from a real in-process run
// (internal/outcome/testdata/events.jsonl) must fit that shape too, so a field the bridge stops
// writing fails here through the recording.
func TestQueriesReadOnlyWhatTheEventsCarry(t *testing.T) {
	fields := map[string]bool{slog.MessageKey: true}
	for _, f := range outcome.Fields() {
		fields[f] = true
	}
	outcomes := outcome.Outcomes()
	shape := outcome.Shape()
	carried := map[string]map[string]bool{}
	for ev, fs := range shape {
		carried[ev] = map[string]bool{slog.MessageKey: true, outcome.FieldEvent: true}
		for f := range fs {
			carried[ev][f] = true
		}
	}
	for _, line := range eventLines(t) {
		if line[slog.MessageKey] != outcome.Message {
			continue
		}
		ev, _ := line[outcome.FieldEvent].(string)
		for k := range line {
			switch k {
			case slog.TimeKey, slog.LevelKey, slog.MessageKey, "component", outcome.FieldEvent:
			default:
				if !carried[ev][k] {
					t.Errorf("the recorded %q event carries %q, which outcome.Shape does not list", ev, k)
				}
			}
		}
		if oc, ok := line[outcome.FieldOutcome].(string); ok && !slices.Contains(outcomes[ev], oc) {
			t.Errorf("the recorded %q event has outcome %q, outside its closed list", ev, oc)
		}
	}

	for _, q := range allQueries(t) {
		if !strings.HasPrefix(q.text, eventsPrelude) {
			t.Errorf("%s does not start by finding the events as every query does:\n%s", q.from, eventsPrelude)
			continue
		}
		n := namesIn(q.text)
		for _, f := range n.fields {
			if !fields[f] {
				t.Errorf("%s reads field %q, which no event carries", q.from, f)
			}
		}
		var events []string
		for _, ev := range n.events {
			if _, ok := outcomes[ev]; !ok {
				t.Errorf("%s compares the event with %q, which is no event", q.from, ev)
			}
			if !slices.Contains(events, ev) {
				events = append(events, ev)
			}
		}
		if len(events) == 0 {
			t.Errorf("%s selects no event", q.from)
		}
		for _, oc := range n.outcomes {
			found := false
			for _, ev := range events {
				found = found || slices.Contains(outcomes[ev], oc)
			}
			if !found {
				t.Errorf("%s compares the outcome with %q, which none of its events %v has", q.from, oc, events)
			}
		}
		// A field must be carried by one of the events the query selects.
		for _, f := range n.fields {
			seen := false
			for _, ev := range events {
				seen = seen || carried[ev][f]
			}
			if !seen {
				t.Errorf("%s reads %q, which none of its events %v carries", q.from, f, events)
			}
		}
		for _, m := range pairedCompare.FindAllStringSubmatch(q.text, -1) {
			ocs := []string{m[2]}
			if m[2] == "" {
				ocs = nil
				for _, l := range stringLit.FindAllStringSubmatch(m[3], -1) {
					ocs = append(ocs, l[1])
				}
			}
			for _, oc := range ocs {
				if !slices.Contains(outcomes[m[1]], oc) {
					t.Errorf("%s pairs event %q with outcome %q, which is not one of its outcomes", q.from, m[1], oc)
				}
			}
		}
		// A word-like literal anywhere (in case(), countif(), ...) must be a known name: a
		// misspelt outcome would otherwise count nothing, silently.
		for _, m := range stringLit.FindAllStringSubmatch(q.text, -1) {
			s := m[1]
			if !identLiteral.MatchString(s) {
				continue
			}
			_, isEvent := outcomes[s]
			isOutcome := false
			for _, list := range outcomes {
				isOutcome = isOutcome || slices.Contains(list, s)
			}
			if !isEvent && !isOutcome && !fields[s] && s != outcome.Message {
				t.Errorf("%s holds the literal %q, which is no event, outcome or field", q.from, s)
			}
		}
	}
}

// The prelude's literals are the package's: the message and the field names.
func TestPreludeMatchesThePackage(t *testing.T) {
	for _, w := range []string{
		`message has "` + outcome.Message + `"`,
		`message == "` + outcome.Message + `"`,
		`tostring(e.` + slog.MessageKey + `) == "` + outcome.Message + `"`,
		`customDimensions.` + outcome.FieldEvent + `)`,
		`tostring(e.` + outcome.FieldEvent + `)`,
		`tostring(e.` + outcome.FieldOutcome + `)`,
	} {
		if !strings.Contains(eventsPrelude, w) {
			t.Errorf("the events prelude lacks %s", w)
		}
	}
}

// outcomesOf returns the outcomes a query's `outcome in (...)` lists.
func outcomesOf(t *testing.T, q string) []string {
	t.Helper()
	var out []string
	for _, m := range compareList.FindAllStringSubmatch(q, -1) {
		if m[1] != "outcome" {
			continue
		}
		for _, s := range stringLit.FindAllStringSubmatch(m[2], -1) {
			out = append(out, s[1])
		}
	}
	sort.Strings(out)
	return out
}

func without(list []string, drop ...string) []string {
	var out []string
	for _, s := range list {
		if !slices.Contains(drop, s) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// The alerts cover the closed lists: a new failure outcome must be placed on purpose.
func TestAlertsCoverTheClosedLists(t *testing.T) {
	aq, lets := alertQueries(t)
	all := outcome.Outcomes()
	want := map[string][]string{
		// Failed sign-ins: everything but the user's own results.
		"alerts/failed-signins.kql": without(all[outcome.SignIn], outcome.Verified, outcome.NotVerified, outcome.DeclinedAtIDme),
		"alerts/idme-failures.kql":  {outcome.IDmeError, outcome.IDmeTimeout},
		// Answers without claims for any reason but "not an ID.me user".
		"alerts/answers-without-claims.kql": without(append(slices.Clone(all[outcome.Extension]), all[outcome.Connector]...), outcome.WithClaims, outcome.NotIDme),
		"alerts/not-ready.kql":              nil,
	}
	for name, w := range want {
		q, ok := aq[name]
		if !ok {
			t.Errorf("alerts.bicep does not load %s", name)
			continue
		}
		if got := outcomesOf(t, q); !slices.Equal(got, w) {
			t.Errorf("%s lists outcomes %v, want %v", name, got, w)
		}
		for _, l := range lets[name] {
			if !regexp.MustCompile(`\b` + l + `\b`).MatchString(q) {
				t.Errorf("%s does not use %s, which alerts.bicep sets for it", name, l)
			}
		}
	}
	if !strings.Contains(aq["alerts/not-ready.kql"], `where outcome == "`+outcome.NotReady+`" and timestamp < ago(notReadyMinutes * 1m)`) {
		t.Error("not-ready.kql must fire on a last readiness event not_ready for more than notReadyMinutes")
	}
	if !strings.Contains(aq["alerts/failed-signins.kql"], "where sign_ins >= minSignIns and 100.0 * failed / sign_ins > failedPercent") {
		t.Error("failed-signins.kql must compare the failed share with failedPercent over at least minSignIns")
	}
}

func TestAlertRules(t *testing.T) {
	f := readBicep(t, infraPath("app", "alerts.bicep"))
	// ScheduledQueryRuleProperties and Condition of Microsoft.Insights/scheduledQueryRules@2023-12-01
	// (bicep-types-az monitor_1/microsoft.insights/2023-12-01): scopes, evaluationFrequency,
	// windowSize, overrideQueryTimeRange, criteria.allOf[] {query, timeAggregation 'Count',
	// operator 'GreaterThan', threshold int, failingPeriods}, actions.actionGroups string[].
	for _, w := range []string{
		"resource alert 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [for rule in rules: {",
		"kind: 'LogAlert'", "scopes: [applicationInsights.id]", "evaluationFrequency: 'PT5M'",
		"windowSize: rule.windowSize", "timeAggregation: 'Count'", "operator: 'GreaterThan'",
		"threshold: rule.threshold", "query: rule.query", "actionGroups: actionGroups",
		"numberOfEvaluationPeriods: 1\n            minFailingPeriodsToAlert: 1",
	} {
		if !strings.Contains(f.text, w) {
			t.Errorf("alerts.bicep lacks %q", w)
		}
	}
	// "The alert time range is limited to a maximum of two days" (Azure Monitor, "Create or edit
	// a log search alert rule", Advanced options, Override query time range).
	for _, m := range regexp.MustCompile(`overrideQueryTimeRange: '([^']*)'`).FindAllStringSubmatch(f.text, -1) {
		if m[1] != "" && m[1] != "P2D" && m[1] != "P1D" && !strings.HasPrefix(m[1], "PT") {
			t.Errorf("alerts.bicep overrideQueryTimeRange %q: at most two days", m[1])
		}
	}
	if n := len(regexp.MustCompile(`(?m)^    name: '`).FindAllString(f.text, -1)); n != 4 {
		t.Errorf("alerts.bicep defines %d rules, want 4", n)
	}
	// Thresholds are parameters with defaults, and each reaches a rule.
	for _, p := range []string{"notReadyMinutes", "failedSignInPercent", "minSignIns", "idmeFailures", "answersWithoutClaims"} {
		if !regexp.MustCompile(`(?m)^param ` + p + ` int = \d+$`).MatchString(f.text) {
			t.Errorf("alerts.bicep: %s must be an int parameter with a default", p)
		}
		if !regexp.MustCompile(`\$\{` + p + `\};|threshold: ` + p + `\n`).MatchString(f.text) {
			t.Errorf("alerts.bicep declares %s but no rule uses it", p)
		}
	}
}

// No e-mail address: no action group, and the rules name none.
func TestActionGroupIsOffWithoutEmail(t *testing.T) {
	f := readBicep(t, infraPath("app", "alerts.bicep"))
	if !regexp.MustCompile(`(?m)^param email string = ''$`).MatchString(f.text) {
		t.Error("alerts.bicep: email must default to ''")
	}
	// ActionGroup of Microsoft.Insights/actionGroups@2023-01-01: groupShortName (at most 12
	// characters) and enabled required; emailReceivers [{name, emailAddress, useCommonAlertSchema}].
	re := regexp.MustCompile(`(?m)^resource actionGroup 'Microsoft\.Insights/actionGroups@2023-01-01' = if \(!empty\(email\)\) \{`)
	loc := re.FindStringIndex(f.text)
	if loc == nil {
		t.Fatal("alerts.bicep: the action group must exist only if (!empty(email))")
	}
	body, _ := f.block(t, loc[1]-1)
	short := regexp.MustCompile(`groupShortName: '([^']*)'`).FindStringSubmatch(body)
	if short == nil || len(short[1]) > 12 {
		t.Errorf("alerts.bicep: groupShortName %v must be at most 12 characters", short)
	}
	for _, w := range []string{"enabled: true", "emailAddress: email", "location: 'Global'"} {
		if !strings.Contains(body, w) {
			t.Errorf("alerts.bicep action group lacks %q", w)
		}
	}
	if !strings.Contains(f.text, "\nvar actionGroups = empty(email) ? [] : [actionGroup.id]\n") {
		t.Error("alerts.bicep: the rules must name the action group only when there is an e-mail")
	}
	if strings.Count(f.text, "actionGroup.id") != 1 {
		t.Error("alerts.bicep: the action group's id is used outside the actionGroups variable")
	}

	main := readBicep(t, infraPath("main.bicep"))
	if !regexp.MustCompile(`(?m)^param alertEmail string = ''$`).MatchString(main.text) {
		t.Error("main.bicep: alertEmail must default to ''")
	}
	found := false
	for _, m := range main.modules(t) {
		if m.path == "app/alerts.bicep" {
			found = true
			if m.params["email"] != "alertEmail" {
				t.Errorf("main.bicep passes email = %q to the alerts", m.params["email"])
			}
		}
	}
	if !found {
		t.Error("main.bicep does not deploy app/alerts.bicep")
	}
}

// The azd variables that set the alerts, their defaults equal to main.bicep's, and the docs.
func TestAlertParametersFromTheEnvironment(t *testing.T) {
	data, err := os.ReadFile(infraPath("main.parameters.json"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Parameters map[string]struct{ Value string } `json:"parameters"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	main := readBicep(t, infraPath("main.bicep"))
	want := map[string]string{
		"alertEmail":                "ALERT_EMAIL",
		"alertNotReadyMinutes":      "ALERT_NOT_READY_MINUTES",
		"alertFailedSignInPercent":  "ALERT_FAILED_SIGNIN_PERCENT",
		"alertMinSignIns":           "ALERT_MIN_SIGNINS",
		"alertIdmeFailures":         "ALERT_IDME_FAILURES",
		"alertAnswersWithoutClaims": "ALERT_ANSWERS_WITHOUT_CLAIMS",
	}
	docs := readmeSection(t, rootReadme(), "Dashboards and alerts")
	infraDoc, err := os.ReadFile(infraReadme())
	if err != nil {
		t.Fatal(err)
	}
	for param, variable := range want {
		m := regexp.MustCompile(`^\$\{(\w+)(?:=(\w*))?\}$`).FindStringSubmatch(file.Parameters[param].Value)
		if m == nil || m[1] != variable {
			t.Errorf("main.parameters.json %s = %q, want ${%s...}", param, file.Parameters[param].Value, variable)
			continue
		}
		def := regexp.MustCompile(`(?m)^param ` + param + ` \w+ = '?(\w*)'?$`).FindStringSubmatch(main.text)
		if def == nil || def[1] != m[2] {
			t.Errorf("main.parameters.json %s defaults to %q, main.bicep to %v", param, m[2], def)
		}
		if !strings.Contains(docs, variable) || !strings.Contains(string(infraDoc), variable) {
			t.Errorf("README \"Dashboards and alerts\" and infra/README.md must name %s", variable)
		}
	}
	for _, w := range []string{"app/workbook.bicep", "app/alerts.bicep"} {
		if !strings.Contains(string(infraDoc), w) {
			t.Errorf("infra/README.md does not list %s", w)
		}
	}
}
