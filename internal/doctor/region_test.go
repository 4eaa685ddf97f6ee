package doctor

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
)

// customStack is one region's answer for stack=custom with the skus given for its one version.
// The shape: value[].properties.majorVersions[].minorVersions[].stackSettings.
// linuxRuntimeSettings with appSettingsDictionary (Azure/azure-rest-api-specs, specification/
// web/resource-manager/Microsoft.Web/stable/2023-12-01/examples/
// GetFunctionAppStacksForLocation.json), its plans under "Sku" with skuCode, as azure-cli reads
// them (Azure/azure-cli, appservice/custom.py, _FlexFunctionAppStackRuntimeHelper.
// _parse_raw_stacks), each with functionAppConfigProperties.runtime {name, version}
// (Azure/azure-functions-ux, client-react/src/models/stacks/function-app-stacks.ts, Sku).
func customStack(location string, skus ...string) string {
	return stackAnswer("custom", location, skus...)
}

// stackAnswer is customStack for another runtime.
func stackAnswer(runtime, location string, skus ...string) string {
	var list []string
	for _, code := range skus {
		list = append(list, fmt.Sprintf(`{"skuCode":%q,"instanceMemoryMB":[{"size":"2048","isDefault":true}],"functionAppConfigProperties":{"runtime":{"name":%q,"version":"1.0"}}}`, code, runtime))
	}
	return `{"value":[{"id":"/providers/Microsoft.Web/locations/functionAppStacks/` + runtime + `","name":"` + runtime + `",` +
		`"type":"Microsoft.Web/locations/functionAppStacks","location":"` + location + `","properties":{"displayText":"Custom Handler","value":"` + runtime + `","preferredOs":"Windows",` +
		`"majorVersions":[{"displayText":"Custom Handler","value":"` + runtime + `","minorVersions":[{"displayText":"Custom Handler","value":"` + runtime + `","stackSettings":{` +
		`"windowsRuntimeSettings":{"runtimeVersion":"` + runtime + `","appSettingsDictionary":{"FUNCTIONS_WORKER_RUNTIME":"` + runtime + `"}},` +
		`"linuxRuntimeSettings":{"runtimeVersion":"","isDefault":false,"appInsightsSettings":{"isSupported":true},"gitHubActionSettings":{"isSupported":false},` +
		`"appSettingsDictionary":{"FUNCTIONS_WORKER_RUNTIME":"` + runtime + `"},"Sku":[` + strings.Join(list, ",") + `]}}}]}]}}]}`
}

// fakeARM answers the region's function app stacks as azure-cli asks for them; status and body
// replace the answer, with ARM's error shape {"error":{"code","message"}} for a refusal.
func fakeARM(t *testing.T, status int, body string) (*httptest.Server, *[]string) {
	t.Helper()
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.URL.String())
		q := r.URL.Query()
		if r.Method != http.MethodGet || !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") ||
			q.Get("api-version") != "2020-10-01" || q.Get("stack") != "custom" ||
			q.Get("removeHiddenStacks") != "true" || q.Get("removeDeprecatedStacks") != "true" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path != "/providers/Microsoft.Web/locations/eastus/functionAppStacks" {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"error":{"code":"LocationNotAvailableForResourceType","message":"no such location"}}`))
			return
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv, &seen
}

func TestRegionRuntime(t *testing.T) {
	tests := []struct {
		name     string
		location string
		status   int
		body     string
		want     Status
		texts    []string
	}{
		{"lists custom", "eastus", http.StatusOK, customStack("eastus", "FC1"), Pass, []string{"eastus", "offers runtime custom (version 1.0)"}},
		{"a portal name", "East US", http.StatusOK, customStack("eastus", "Y1", "FC1"), Pass, []string{"eastus", "version 1.0"}},
		{"custom not on Flex", "eastus", http.StatusOK, customStack("eastus", "Y1", "EP1"), Fail, []string{"does not list runtime custom", "az functionapp list-flexconsumption-locations"}},
		{"only another runtime", "eastus", http.StatusOK, stackAnswer("node", "eastus", "FC1"), Fail, []string{"does not list runtime custom"}},
		{"no stacks", "eastus", http.StatusOK, `{"value":[]}`, Fail, []string{"does not list runtime custom"}},
		{"unknown region", "atlantis", http.StatusOK, "", Fail, []string{"atlantis", "HTTP 404 LocationNotAvailableForResourceType", "check --location"}},
		{"signed out", "eastus", http.StatusUnauthorized, `{"error":{"code":"InvalidAuthenticationToken","message":"The access token is invalid."}}`, Fail, []string{"refused the sign-in", "InvalidAuthenticationToken", "az login"}},
		{"ARM error", "eastus", http.StatusInternalServerError, `{"error":{"code":"InternalServerError","message":"try later"}}`, Fail, []string{"HTTP 500 InternalServerError: try later"}},
		{"an answer too large", "eastus", http.StatusOK, strings.Repeat(" ", maxStacks) + `{"value":[]}`, Fail, []string{"larger than"}},
		{"not ARM's answer", "eastus", http.StatusOK, `<html>`, Fail, []string{"cannot read the region's runtimes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, seen := fakeARM(t, tt.status, tt.body)
			o := Options{Location: tt.location, ARMURL: srv.URL, ARMCredential: &azfake.TokenCredential{}, Timeout: 5 * time.Second}
			want(t, []Finding{checkRegion(context.Background(), o)}, "region.runtime", tt.want, tt.texts...)
			if len(*seen) != 1 {
				t.Errorf("ARM saw %v", *seen)
			}
		})
	}
}

func TestRegionRuntimeTimesOut(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		select {
		case <-release:
		case <-time.After(5 * time.Second): // without the timeout the answer is an empty page
		}
	}))
	defer srv.Close()
	defer close(release)
	o := Options{Location: "eastus", ARMURL: srv.URL, ARMCredential: &azfake.TokenCredential{}, Timeout: 50 * time.Millisecond}
	start := time.Now()
	want(t, []Finding{checkRegion(context.Background(), o)}, "region.runtime", Fail, "deadline exceeded")
	if time.Since(start) > 2*time.Second {
		t.Errorf("took %v with a 50ms timeout", time.Since(start))
	}
}

// TestNewChecksAreSkippedWithoutTheirFlags: a doctor run without the new flags is the run it
// was: the new checks are skipped, say why, and call nothing.
func TestNewChecksAreSkippedWithoutTheirFlags(t *testing.T) {
	w := newWorld(t)
	findings := w.run()
	if !OK(findings) {
		var b strings.Builder
		Write(&b, findings)
		t.Fatal(b.String())
	}
	want(t, findings, "b2c.policy_key", Skip, "no --b2c-env")
	want(t, findings, "b2c.policies", Skip, "no --b2c-env")
	want(t, findings, "region.runtime", Skip, "no --location")
}

// TestDoctorJSONCarriesTheNewFindings drives the command with its flags, against the fake Graph
// and the fake ARM.
func TestDoctorJSONCarriesTheNewFindings(t *testing.T) {
	w := newWorld(t)
	_, b2c, uploads := b2cWorld(t)
	arm, _ := fakeARM(t, http.StatusOK, customStack("eastus", "FC1"))
	o := w.opts
	o.Lookup = func(k string) (string, bool) { v, ok := w.env[k]; return v, ok }
	o.GraphCredential = b2c.GraphCredential
	o.ARMCredential = &azfake.TokenCredential{}
	var stdout, stderr bytes.Buffer
	args := []string{"--json", "--b2c-env", "Development", "--policies", b2c.B2C.Dir, "--graph", b2c.B2C.GraphURL, "--location", "eastus", "--arm", arm.URL}
	if err := command(context.Background(), "doctor", args, o, &stdout, &stderr); err != nil {
		t.Fatalf("doctor: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	var report struct {
		OK       bool      `json:"ok"`
		Findings []Finding `json:"findings"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &report); err != nil {
		t.Fatalf("--json output: %v\n%s", err, stdout.String())
	}
	if !report.OK {
		t.Fatalf("report = %+v", report)
	}
	want(t, report.Findings, "b2c.policy_key", Pass, "B2C_1A_IdmeBridgeSecret in contosodev.onmicrosoft.com")
	want(t, report.Findings, "b2c.policies", Pass, uploads[0].PolicyID)
	want(t, report.Findings, "region.runtime", Pass, "eastus")

	// The usage documents the flags.
	stdout.Reset()
	_ = command(context.Background(), "doctor", []string{"-h"}, o, &stdout, &stderr)
	for _, flag := range []string{"--b2c-env", "--policies", "--b2c-tenant", "--graph", "--location", "--arm"} {
		if !strings.Contains(stdout.String(), flag) {
			t.Errorf("doctor -h does not mention %s", flag)
		}
	}
}
