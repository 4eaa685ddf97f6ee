package demorp

import (
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	ufTestBase     = "http://127.0.0.1:7073/userflow"
	ufTestPassword = "connector-password"
)

// fakeConnector records B2C's call and answers with reply.
type fakeConnector struct {
	mu     sync.Mutex
	user   string
	pass   string
	hasBA  bool
	body   map[string]any
	status int
	reply  map[string]any
}

func (c *fakeConnector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.user, c.pass, c.hasBA = r.BasicAuth()
	c.body = nil
	_ = json.NewDecoder(r.Body).Decode(&c.body)
	writeJSON(w, c.status, c.reply)
}

// TestUserFlowPlaysB2C signs in through a fake bridge and a fake connector and checks each
// rule the mode plays: form_post and client_secret_post, the five mapped claims, the
// connector's request and Basic credentials, and what of its answer reaches the token.
func TestUserFlowPlaysB2C(t *testing.T) {
	continueWith := map[string]any{"version": "1.0.0", "action": "Continue",
		"extension_IdmeMilitaryVerified": true, "extension_IdmeGroups": "military", "notAnAttribute": "x"}
	tests := []struct {
		name   string
		status int
		reply  map[string]any
		code   int
		want   []string
		lacks  []string
	}{
		{"verified", http.StatusOK, continueWith, http.StatusOK,
			[]string{`"extension_IdmeMilitaryVerified": true`, `"extension_IdmeGroups": "military"`, `"given_name": "Ada"`,
				`"family_name": "Lovelace"`, `"emails": [`, `"tfp": "B2C_1_signupsignin"`},
			[]string{"idme_military_verified", "notAnAttribute", `"email":`}},
		{"no verification", http.StatusOK, map[string]any{"version": "1.0.0", "action": "Continue"}, http.StatusOK,
			[]string{`"given_name": "Ada"`, "none for this user"}, []string{"extension_"}},
		{"connector refuses", http.StatusUnauthorized, map[string]any{"error": "unauthorized"}, http.StatusBadGateway,
			[]string{"B2C would stop here", "answered 401"}, nil},
		{"not a continuation", http.StatusOK, map[string]any{"version": "1.0.0", "action": "ShowBlockPage"}, http.StatusBadGateway,
			[]string{"not a continuation response"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op := newFakeOP(t, &testClock{now: time.Now().Truncate(time.Second)})
			conn := &fakeConnector{status: tt.status, reply: tt.reply}
			connSrv := httptest.NewServer(conn)
			t.Cleanup(connSrv.Close)
			uf, err := NewUserFlow(UserFlowOptions{BaseURL: ufTestBase, Issuer: op.issuer, ClientID: testClientID, ClientSecret: testSecret,
				ConnectorURL: connSrv.URL, ConnectorPassword: ufTestPassword, HTTPClient: op.srv.Client()})
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			uf.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, ufTestBase+"/login", nil))
			authURL := rec.Header().Get("Location")
			q := mustQuery(t, authURL)
			// A user flow's provider: the response mode the guide sets, the Scope configured.
			if q.Get("response_mode") != "form_post" || q.Get("scope") != userFlowScope || q.Get("redirect_uri") != ufTestBase+UserFlowRedirectPath {
				t.Fatalf("authorize request %s", authURL)
			}
			state, code := op.issueCode(authURL)
			form := url.Values{"code": {code}, "state": {state}, "iss": {op.issuer}}
			req := httptest.NewRequest(http.MethodPost, ufTestBase+UserFlowRedirectPath, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec = httptest.NewRecorder()
			uf.ServeHTTP(rec, req)
			page := html.UnescapeString(rec.Body.String())
			if rec.Code != tt.code {
				t.Fatalf("status %d, want %d:\n%s", rec.Code, tt.code, page)
			}
			if op.lastTokenAuthHeader != "" || op.lastTokenForm.Get("client_secret") != testSecret {
				t.Errorf("code not redeemed with client_secret_post: header %q form %v", op.lastTokenAuthHeader, op.lastTokenForm)
			}
			conn.mu.Lock()
			defer conn.mu.Unlock()
			if !conn.hasBA || conn.user != testClientID || conn.pass != ufTestPassword {
				t.Errorf("connector credentials %v %q %q, want Basic %s", conn.hasBA, conn.user, conn.pass, testClientID)
			}
			wantBody := map[string]any{
				"identities": []any{map[string]any{"signInType": "federated", "issuer": op.issuer, "issuerAssignedId": testUser()["sub"]}},
				"email":      "ada@example.test", "client_id": userFlowApp, "step": "PreTokenIssuance", "ui_locales": "en-US",
			}
			for k, v := range wantBody {
				if got, _ := json.Marshal(conn.body[k]); string(got) != mustJSON(t, v) {
					t.Errorf("connector request %s = %s, want %s", k, got, mustJSON(t, v))
				}
			}
			if oid, _ := conn.body["objectId"].(string); !guid.MatchString(oid) {
				t.Errorf("objectId %q is not a GUID", oid)
			}
			// The fake bridge's id_token has no name: an attribute without a value is left out.
			if _, ok := conn.body["displayName"]; ok {
				t.Errorf("displayName sent without a value: %v", conn.body)
			}
			final := page
			if i := strings.Index(page, `id="final-token"`); i >= 0 {
				final = page[i:]
			}
			for _, w := range tt.want {
				if !strings.Contains(page, w) {
					t.Errorf("page lacks %q:\n%s", w, page)
				}
			}
			for _, l := range tt.lacks {
				if strings.Contains(final, l) {
					t.Errorf("final token has %q:\n%s", l, final)
				}
			}
		})
	}
}

var guid = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func mustQuery(t *testing.T, raw string) url.Values {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestMapClaimsKeepsFiveFields: only sub, name, given_name, family_name and email are read.
func TestMapClaimsKeepsFiveFields(t *testing.T) {
	m, dropped := mapClaims(map[string]any{"sub": "s", "name": "N", "given_name": "G", "family_name": "F", "email": "e@x",
		"idme_groups": []string{"military"}, "email_verified": true})
	if m != (mapped{UserID: "s", DisplayName: "N", GivenName: "G", Surname: "F", Email: "e@x"}) {
		t.Errorf("mapped %+v", m)
	}
	if strings.Join(dropped, ",") != "email_verified,idme_groups" {
		t.Errorf("dropped %v", dropped)
	}
}
