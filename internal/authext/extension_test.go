package authext

import (
	"encoding/base64"
	"errors"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"idmebridge/internal/authext/faketenant"
	"idmebridge/internal/entrauser"
	"idmebridge/internal/verification"
)

// TestBearerToken: only a token the tenant signed, for the extension's app, from Microsoft's
// authentication events service and still valid gets an answer; anything else is a 401.
func TestBearerToken(t *testing.T) {
	r := newRig(t)
	body := sample(t, "token-issuance-start.json")
	good := r.token(faketenant.Token{})
	parts := strings.Split(good, ".")
	enc := base64.RawURLEncoding.EncodeToString
	tests := []struct {
		name   string
		bearer string
		want   int
	}{
		{"good (v2, azp)", good, http.StatusOK},
		{"good (v1, appid)", r.token(faketenant.Token{NoAzp: true, AppID: "99045fe1-7639-4a75-9d4a-577b6ca3810f"}), http.StatusOK},
		{"good (subdomain issuer)", r.token(faketenant.Token{Issuer: "https://contoso.ciamlogin.com/" + testTenant + "/v2.0"}), http.StatusOK},
		{"good (application ID URI)", r.token(faketenant.Token{Audience: "api://bridge.example.com/" + testAppID}), http.StatusOK},
		{"good (login.microsoftonline.com issuer)", r.token(faketenant.Token{Issuer: "https://login.microsoftonline.com/" + testTenant + "/v2.0"}), http.StatusOK},
		{"good (v1: sts.windows.net issuer, appid)", r.token(faketenant.Token{Issuer: "https://sts.windows.net/" + testTenant + "/", NoAzp: true, AppID: "99045fe1-7639-4a75-9d4a-577b6ca3810f"}), http.StatusOK},
		{"wrong issuer", r.token(faketenant.Token{Issuer: "https://evil.example.com/" + testTenant + "/v2.0"}), http.StatusUnauthorized},
		{"another tenant (login.microsoftonline.com)", r.token(faketenant.Token{Issuer: "https://login.microsoftonline.com/99999999-2222-3333-4444-555555555555/v2.0"}), http.StatusUnauthorized},
		{"another tenant (sts.windows.net)", r.token(faketenant.Token{Issuer: "https://sts.windows.net/99999999-2222-3333-4444-555555555555/", NoAzp: true, AppID: "99045fe1-7639-4a75-9d4a-577b6ca3810f"}), http.StatusUnauthorized},
		{"tenant id as a prefix", r.token(faketenant.Token{Issuer: "https://login.microsoftonline.com/" + testTenant + "x/v2.0"}), http.StatusUnauthorized},
		{"another tenant", r.token(faketenant.Token{Issuer: "https://fabrikam.ciamlogin.com/99999999-2222-3333-4444-555555555555/v2.0"}), http.StatusUnauthorized},
		{"wrong audience", r.token(faketenant.Token{Audience: "bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee"}), http.StatusUnauthorized},
		{"wrong caller (azp)", r.token(faketenant.Token{Azp: "12345678-1234-1234-1234-123456789012"}), http.StatusUnauthorized},
		{"wrong caller (appid)", r.token(faketenant.Token{NoAzp: true, AppID: "12345678-1234-1234-1234-123456789012"}), http.StatusUnauthorized},
		{"no caller", r.token(faketenant.Token{NoAzp: true}), http.StatusUnauthorized},
		{"azp wrong, appid right", r.token(faketenant.Token{Azp: "12345678-1234-1234-1234-123456789012", AppID: "99045fe1-7639-4a75-9d4a-577b6ca3810f"}), http.StatusUnauthorized},
		{"expired", r.token(faketenant.Token{IssuedAt: time.Now().Add(-2 * time.Hour), Expires: time.Now().Add(-time.Hour)}), http.StatusUnauthorized},
		{"signed by another key", r.token(faketenant.Token{OtherKey: true}), http.StatusUnauthorized},
		{"alg none", enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + ".", http.StatusUnauthorized},
		{"signature stripped", parts[0] + "." + parts[1] + ".", http.StatusUnauthorized},
		{"payload swapped", parts[0] + "." + enc([]byte(`{"iss":"x"}`)) + "." + parts[2], http.StatusUnauthorized},
		{"no token", "", http.StatusUnauthorized},
		{"garbage", "not-a-jwt", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, resp := r.call(tt.bearer, body)
			if status != tt.want {
				t.Fatalf("status %d, want %d (%v)", status, tt.want, resp)
			}
			if status == http.StatusUnauthorized && resp["data"] != nil {
				t.Fatalf("refused call got claims: %v", resp)
			}
		})
	}
}

// TestDocumentedRequests: the documented request samples get documented answers; the veteran
// behind the member sample gets the military verification, the guest (no bridge identity) none.
func TestDocumentedRequests(t *testing.T) {
	r := newRig(t)
	tok := r.token(faketenant.Token{})
	status, body := r.call(tok, sample(t, "token-issuance-start.json"))
	if status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	claims := checkResponseSchema(t, body)
	want := map[string]any{
		"idme_groups": []any{"military"}, "idme_subgroups": []any{"Veteran"},
		"idme_verified_at": "2026-03-01T09:30:00Z", "idme_military_verified": "true",
		"idme_student_verified": "false", "idme_military_branch": "Army",
	}
	if !reflect.DeepEqual(claims, want) {
		t.Errorf("claims = %v\nwant     %v", claims, want)
	}

	status, body = r.call(tok, sample(t, "token-issuance-start-guest.json"))
	if status != http.StatusOK {
		t.Fatalf("guest: status %d", status)
	}
	if claims := checkResponseSchema(t, body); len(claims) != 0 {
		t.Errorf("guest got claims %v", claims)
	}
}

// TestFailSafe: whatever is missing, the answer is on time, well formed and without claims.
func TestFailSafe(t *testing.T) {
	tests := []struct {
		name  string
		user  string
		setup func(*rig)
	}{
		{"no user in the event", "", nil},
		{"user not from the bridge", guestUser, nil},
		{"no verification record", memberUser, func(r *rig) { r.records.records = nil }},
		{"record store down", memberUser, func(r *rig) { r.records.err = errors.New("blob unavailable") }},
		{"graph down", memberUser, func(r *rig) { r.users.err = errors.New("graph: HTTP 503") }},
		{"graph too slow", memberUser, func(r *rig) { r.users.delay = 5 * time.Second }},
		{"event for another tenant", memberUser, func(r *rig) { r.ext.cfg.TenantID = "99999999-2222-3333-4444-555555555555" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			if tt.setup != nil {
				tt.setup(r)
			}
			start := time.Now()
			status, body := r.call(r.token(faketenant.Token{}), eventFor(t, tt.user))
			elapsed := time.Since(start)
			if status != http.StatusOK {
				t.Fatalf("status %d (%v)", status, body)
			}
			if claims := checkResponseSchema(t, body); len(claims) != 0 {
				t.Errorf("claims %v, want none", claims)
			}
			if elapsed > 1500*time.Millisecond {
				t.Errorf("answered in %v: over the budget", elapsed)
			}
		})
	}
}

// TestNotAnEvent: a call the tenant signed but that is not a token issuance start event.
func TestNotAnEvent(t *testing.T) {
	r := newRig(t)
	tok := r.token(faketenant.Token{})
	for _, body := range []string{`{`, `{"type":"microsoft.graph.authenticationEvent.attributeCollectionSubmit","data":{}}`} {
		if status, _ := r.call(tok, []byte(body)); status != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", body, status)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, r.srv.URL+Path, strings.NewReader(string(sample(t, "token-issuance-start.json"))))
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("Authorization", "Bearer "+tok)
	if resp, err := r.srv.Client().Do(req); err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Errorf("text/plain body: %v %v, want 400", resp.StatusCode, err)
	} else {
		resp.Body.Close()
	}
	resp, err := r.srv.Client().Get(r.srv.URL + Path)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: status %d, want 405", resp.StatusCode)
	}
}

// TestLookupsAreCached: a second token for the same user makes no second Graph call.
func TestLookupsAreCached(t *testing.T) {
	r := newRig(t)
	tok := r.token(faketenant.Token{})
	for i := 0; i < 3; i++ {
		if status, _ := r.call(tok, sample(t, "token-issuance-start.json")); status != http.StatusOK {
			t.Fatalf("status %d", status)
		}
	}
	if n := r.users.calls.Load(); n != 1 {
		t.Errorf("Graph called %d times for one user, want 1", n)
	}
}

// TestClaimsStayWithin3KB: a record too big for one answer keeps the groups and drops the rest.
func TestClaimsStayWithin3KB(t *testing.T) {
	rec := veteranRecord()
	for i := 0; i < 100; i++ {
		rec.Claims["idme_attr_"+strings.Repeat("x", 3)+string(rune('a'+i%26))+string(rune('a'+i/26))] = strings.Repeat("v", 60)
	}
	claims, dropped := claimsFor(rec)
	if size(claims) > 3*1024 || len(dropped) == 0 {
		t.Fatalf("size %d, dropped %d", size(claims), len(dropped))
	}
	for _, must := range []string{"idme_groups", "idme_subgroups", "idme_military_verified", "idme_verified_at"} {
		if _, ok := claims[must]; !ok {
			t.Errorf("%s dropped before the optional claims", must)
		}
	}
	names := make([]string, 0, len(claims))
	for k := range claims {
		names = append(names, k)
	}
	sort.Strings(names)
	if _, err := responseClaims(map[string]any{"data": map[string]any{
		"@odata.type": "microsoft.graph.onTokenIssuanceStartResponseData",
		"actions":     []any{map[string]any{"@odata.type": "microsoft.graph.tokenIssuanceStart.provideClaimsForToken", "claims": map[string]any{}}},
	}}); err != nil {
		t.Fatal(err)
	}
}

// TestEmptyRecordGivesNoArrays: a record without verified groups yields per-group "false"
// strings, never empty arrays.
func TestEmptyRecordGivesNoArrays(t *testing.T) {
	claims, _ := claimsFor(&verification.Record{IDmeUUID: "u", Claims: map[string]any{"idme_military_verified": false}})
	if _, ok := claims["idme_groups"]; ok {
		t.Errorf("idme_groups present for no verified group: %v", claims)
	}
	if claims["idme_military_verified"] != "false" {
		t.Errorf("idme_military_verified = %v", claims["idme_military_verified"])
	}
}

// TestRecordWrittenJustAfterSignUp: a record that lands a moment after the first call is still
// found by it.
func TestRecordWrittenJustAfterSignUp(t *testing.T) {
	r := newRig(t)
	r.records.records = map[string]*verification.Record{}
	go func() {
		time.Sleep(50 * time.Millisecond)
		r.records.mu.Lock()
		r.records.records[veteranSub] = veteranRecord()
		r.records.mu.Unlock()
	}()
	_, body := r.call(r.token(faketenant.Token{}), sample(t, "token-issuance-start.json"))
	if claims := checkResponseSchema(t, body); claims["idme_military_verified"] != "true" {
		t.Errorf("claims = %v, want the record written during the call", claims)
	}
}

// TestTenantKeysUnavailable: when the tenant's discovery cannot be read, the call is answered
// without claims (a failure status would fail every sign-in of the application).
func TestTenantKeysUnavailable(t *testing.T) {
	r := newRig(t)
	tok := r.token(faketenant.Token{})
	r.ext.auth.authority = "http://127.0.0.1:1" // nothing listens there
	status, body := r.call(tok, sample(t, "token-issuance-start.json"))
	if status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	if claims := checkResponseSchema(t, body); len(claims) != 0 {
		t.Errorf("claims %v without checking the caller", claims)
	}
}

// TestUnknownUserIsAskedAgain: a user Graph does not show yet (just created) is looked up again
// on the next call; a user who is not from the bridge is remembered.
func TestUnknownUserIsAskedAgain(t *testing.T) {
	r := newRig(t)
	tok := r.token(faketenant.Token{})
	r.users.err = entrauser.ErrNoUser
	r.call(tok, sample(t, "token-issuance-start.json"))
	r.users.err = nil
	_, body := r.call(tok, sample(t, "token-issuance-start.json"))
	if claims := checkResponseSchema(t, body); claims["idme_military_verified"] != "true" {
		t.Errorf("claims = %v after the user appeared in Graph", claims)
	}
	before := r.users.calls.Load()
	r.call(tok, sample(t, "token-issuance-start-guest.json"))
	r.call(tok, sample(t, "token-issuance-start-guest.json"))
	if n := r.users.calls.Load() - before; n != 1 {
		t.Errorf("a user not from the bridge was looked up %d times, want 1", n)
	}
}
