package demorp

import (
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

const (
	ufTestBase     = "http://127.0.0.1:7073/userflow"
	ufTestPassword = "connector-password"
)

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
			op := newHarness(t).op
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
			rec = serveForm(uf, ufTestBase+UserFlowRedirectPath, form)
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
			if oid, _ := conn.body["objectId"].(string); !isGUID(oid) {
				t.Errorf("objectId %q is not a GUID", oid)
			}
			// The fake bridge's id_token has no name: an attribute without a value is left out.
			if _, ok := conn.body["displayName"]; ok {
				t.Errorf("displayName sent without a value: %v", conn.body)
			}
			seen(t, "page", page, true, tt.want...)
			seen(t, "final token", after(page, `id="final-token"`), false, tt.lacks...)
		})
	}
}

// TestMapClaimsKeepsFiveFields: only sub, name, given_name, family_name and email are read.
func TestMapClaimsKeepsFiveFields(t *testing.T) {
	m, dropped := mapClaims(map[string]any{"sub": "s", "name": "N", "given_name": "G", "family_name": "F", "email": "e@x",
		"idme_groups": []string{"military"}, "email_verified": true})
	if m != (mapped{UserID: "s", DisplayName: "N", GivenName: "G", Surname: "F", Email: "e@x"}) {
		t.Errorf("mapped %+v", m)
	}
	if len(dropped) != 2 || dropped[0] != "email_verified" || dropped[1] != "idme_groups" {
		t.Errorf("dropped %v", dropped)
	}
}
