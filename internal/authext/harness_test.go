package authext

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"idmebridge/internal/authext/faketenant"
	"idmebridge/internal/config"
	"idmebridge/internal/entrauser"
	"idmebridge/internal/verification"
)

const (
	testTenant = "11111111-2222-3333-4444-555555555555"
	testAppID  = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
	// The users of the documented samples.
	memberUser = "90847c2a-e29d-4d2f-9f54-c5b4d3f26471"
	guestUser  = "00aa00aa-bb11-cc22-dd33-44ee44ee44ee"
	veteranSub = "5f1c0c7e9a2b4d3e8f6a1b2c3d4e5f60"
)

// fakeUsers maps External ID users to ID.me subjects.
type fakeUsers struct {
	subjects map[string]string
	err      error
	delay    time.Duration
	calls    atomic.Int32
}

func (f *fakeUsers) FederatedSubject(ctx context.Context, userID string) (string, error) {
	f.calls.Add(1)
	if f.delay > 0 {
		select {
		case <-time.After(f.delay):
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	if f.err != nil {
		return "", f.err
	}
	s, ok := f.subjects[userID]
	if !ok {
		return "", entrauser.ErrNoFederatedIdentity
	}
	return s, nil
}

// fakeRecords holds the latest record per subject.
type fakeRecords struct {
	mu      sync.Mutex
	records map[string]*verification.Record
	err     error
}

func (f *fakeRecords) Latest(_ context.Context, subject string) (*verification.Record, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	r, ok := f.records[subject]
	if !ok {
		return nil, verification.ErrNoRecord
	}
	return r, nil
}

func veteranRecord() *verification.Record {
	return &verification.Record{
		IDmeUUID: veteranSub, ClientID: "externalid", VerifiedAt: time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC),
		Groups: []string{"military"}, Subgroups: []string{"Veteran"},
		Claims: map[string]any{
			"sub": veteranSub, "email": "vera.veteran@example.com", "idme_military_verified": true,
			"idme_student_verified": false, "idme_military_branch": "Army", "idme_groups": []any{"military"},
		},
	}
}

// rig is one extension behind HTTP with a stand-in tenant.
type rig struct {
	t         testing.TB
	tenant    *faketenant.Tenant
	tenantSrv *httptest.Server
	ext       *Extension
	srv       *httptest.Server
	users     *fakeUsers
	records   *fakeRecords
}

func newRig(t testing.TB) *rig {
	t.Helper()
	tenantSrv := httptest.NewUnstartedServer(nil)
	tenantSrv.Start()
	t.Cleanup(tenantSrv.Close)
	tenant, err := faketenant.New(testTenant, tenantSrv.URL)
	if err != nil {
		t.Fatal(err)
	}
	tenantSrv.Config.Handler = tenant
	users := &fakeUsers{subjects: map[string]string{memberUser: veteranSub}}
	records := &fakeRecords{records: map[string]*verification.Record{veteranSub: veteranRecord()}}
	cfg := config.ExternalID{
		Enabled: true, TenantID: testTenant, TenantSubdomain: "contoso", Authority: tenantSrv.URL,
		Audiences: []string{testAppID, "api://bridge.example.com/" + testAppID}, Budget: 900 * time.Millisecond,
	}
	ext, err := New(Options{Config: cfg, Users: users, Records: records})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(ext)
	t.Cleanup(srv.Close)
	return &rig{t: t, tenant: tenant, tenantSrv: tenantSrv, ext: ext, srv: srv, users: users, records: records}
}

func (r *rig) token(o faketenant.Token) string {
	r.t.Helper()
	if o.Audience == "" {
		o.Audience = testAppID
	}
	tok, err := r.tenant.Sign(o)
	if err != nil {
		r.t.Fatal(err)
	}
	return tok
}

// call posts body with the bearer token; it returns the status and the decoded body.
func (r *rig) call(bearer string, body []byte) (int, map[string]any) {
	r.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, r.srv.URL+Path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := r.srv.Client().Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

func sample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// eventFor is the documented sample with another user.
func eventFor(t testing.TB, userID string) []byte {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(sample(t, "token-issuance-start.json"), &ev); err != nil {
		t.Fatal(err)
	}
	ctx := ev["data"].(map[string]any)["authenticationContext"].(map[string]any)
	ctx["user"].(map[string]any)["id"] = userID
	b, _ := json.Marshal(ev)
	return b
}

// checkResponseSchema checks an answer against the documented response: one
// provideClaimsForToken action whose claims are strings or string arrays, within 3 KB.
// It returns the claims.
func checkResponseSchema(t testing.TB, body map[string]any) map[string]any {
	t.Helper()
	claims, err := responseClaims(body)
	if err != nil {
		t.Fatalf("response does not follow the documented schema: %v (%v)", err, body)
	}
	return claims
}

func responseClaims(body map[string]any) (map[string]any, error) {
	data, ok := body["data"].(map[string]any)
	if !ok || len(body) != 1 {
		return nil, errors.New("want exactly a data object")
	}
	if data["@odata.type"] != "microsoft.graph.onTokenIssuanceStartResponseData" {
		return nil, fmt.Errorf("data @odata.type = %v", data["@odata.type"])
	}
	actions, ok := data["actions"].([]any)
	if !ok || len(actions) != 1 {
		return nil, fmt.Errorf("actions = %v, want one", data["actions"])
	}
	action, ok := actions[0].(map[string]any)
	if !ok || action["@odata.type"] != "microsoft.graph.tokenIssuanceStart.provideClaimsForToken" {
		return nil, fmt.Errorf("action = %v", actions[0])
	}
	claims, ok := action["claims"].(map[string]any)
	if !ok {
		return nil, errors.New("claims is not an object")
	}
	for k, v := range claims {
		switch v := v.(type) {
		case string:
		case []any:
			for _, e := range v {
				if _, ok := e.(string); !ok {
					return nil, fmt.Errorf("claim %s holds a non-string %v", k, e)
				}
			}
		default:
			return nil, fmt.Errorf("claim %s is %T: only strings and string arrays are supported", k, v)
		}
	}
	if b, _ := json.Marshal(claims); len(b) > 3*1024 {
		return nil, fmt.Errorf("claims are %d bytes, over 3 KB", len(b))
	}
	return claims, nil
}
