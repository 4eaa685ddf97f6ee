package app

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"idmebridge/internal/config"
)

func TestRefusedAuthorizeIsLogged(t *testing.T) {
	const registered = "https://contoso.b2clogin.com/contoso.onmicrosoft.com/oauth2/authresp"
	cfg := &config.Config{Clients: []config.Client{{ID: "b2c", RedirectURIs: []string{registered}}}}
	provider := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.WriteHeader(http.StatusBadRequest)
	})
	tests := []struct {
		name, clientID, redirect string
		want                     []string // empty: nothing logged
	}{
		{"unknown client", "b2c-typo", registered, []string{"unknown client", `"client_id":"b2c-typo"`, `"redirect_uri":"https://contoso.b2clogin.com/contoso.onmicrosoft.com/oauth2/authresp"`, "BRIDGE_CLIENTS"}},
		{"case differs", "b2c", strings.Replace(registered, "contoso.onmicrosoft", "Contoso.onmicrosoft", 1), []string{"redirect URI not registered", `"differs":"letter case"`, `"client_id":"b2c"`}},
		{"trailing slash", "b2c", registered + "/", []string{`"differs":"trailing slash"`}},
		{"query", "b2c", registered + "?p=secret-value", []string{`"differs":"query or fragment added"`, `authresp?p"`}},
		{"case and query", "b2c", strings.ToUpper(registered) + "?x=1", []string{`"differs":"query or fragment added, letter case"`}},
		{"other", "b2c", "https://evil.example/cb", []string{`"differs":"not like any registered redirect URI"`}},
		{"registered", "b2c", registered, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			h := logRefusedAuthorize(cfg, slog.New(slog.NewJSONHandler(&logs, nil)), provider)
			q := url.Values{"client_id": {tt.clientID}, "redirect_uri": {tt.redirect}}
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/authorize?"+q.Encode(), nil))
			if tt.want == nil {
				if logs.Len() != 0 {
					t.Errorf("logged an accepted request: %s", logs.String())
				}
				return
			}
			for _, w := range tt.want {
				if !strings.Contains(logs.String(), w) {
					t.Errorf("log lacks %s: %s", w, logs.String())
				}
			}
			if strings.Contains(logs.String(), "secret-value") || !strings.Contains(logs.String(), `"level":"WARN"`) {
				t.Errorf("log leaks a query value or is not a warning: %s", logs.String())
			}
		})
	}
}
