package devmode

import (
	"html"
	"io"
	"net/url"
	"os"
	"strings"
	"testing"
)

// TestDevModeUserFlow clicks through the B2C user-flow mode over the real servers: sign-in
// through the bridge (form_post), the five mapped claims, the API connector call with the
// generated password, and the final token with the connector's extension_ claims.
func TestDevModeUserFlow(t *testing.T) {
	env := startDev(t, Options{})
	tests := []struct {
		name, login, persona string
		want, lacks          []string
	}{
		{"verified veteran", "/userflow/login", "veteran", []string{
			`"extension_IdmeMilitaryVerified": true`, `"extension_IdmeGroups": "military"`,
			`"extension_IdmeSubgroups": "Veteran"`, `"extension_IdmeSubject": "5f1c0c7e9a2b4d3e8f6a1b2c3d4e5f60"`,
			`"given_name": "Vera"`, `"emails": [`, `"signInType": "federated"`, `"issuer": "` + env.BridgeURL + `"`,
			`"step": "PreTokenIssuance"`, `"action": "Continue"`, "<code>idme_military_verified</code>",
		}, []string{"idme_military_verified", `"email":`}},
		{"signed in, nothing verified", "/userflow/login?" + url.Values{"policy": {"login"}}.Encode(), "unverified", []string{
			`"extension_IdmeMilitaryVerified": false`, `"given_name": "Uma"`, `"action": "Continue"`,
		}, []string{`"extension_IdmeGroups"`, `"extension_IdmeMilitaryVerified": true`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := html.UnescapeString(clickThrough(t, newBrowser(), env, env.RPURL+tt.login, tt.persona))
			final := page[strings.Index(page, `id="final-token"`)+1:]
			if os.Getenv("SHOW_PAGE") != "" {
				t.Log(page)
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

// TestDevModeUserFlowLinked: the demo's start page links to the user-flow mode, whose page
// names the connector's endpoint.
func TestDevModeUserFlowLinked(t *testing.T) {
	env := startDev(t, Options{})
	c := newBrowser()
	for _, tt := range []struct{ url, want string }{
		{env.RPURL + "/", env.RPURL + "/userflow/"},
		{env.RPURL + "/userflow/", env.BridgeURL + "/b2c/api-connector/token-enrichment"},
	} {
		resp := waitReady(t, c, tt.url)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(body), tt.want) {
			t.Errorf("%s lacks %s:\n%s", tt.url, tt.want, body)
		}
	}
}
