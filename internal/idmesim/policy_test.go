package idmesim

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestPolicyMustBeSatisfied: as on ID.me, a persona who has not satisfied the requested policy
// cannot finish the sign-in. It gets the verification step, whose only way on is to decline
// (access_denied to the client); with several communities (the groups flow) one is enough.
func TestPolicyMustBeSatisfied(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name, path, persona string
		q                   url.Values
		completes           bool
	}{
		{"student under military", "/oauth/authorize", "student", authorizeParams("openid military"), false},
		{"unverified under military", "/oauth/authorize", "unverified", authorizeParams("openid military"), false},
		{"veteran under military", "/oauth/authorize", "veteran", authorizeParams("openid military"), true},
		{"student without the identity policy", "/oauth/authorize", "student", authorizeParams("openid " + ial2), false},
		{"ial2 persona under the identity policy", "/oauth/authorize", "ial2", authorizeParams("openid " + ial2), true},
		{"veteran under military and identity", "/oauth/authorize", "veteran", authorizeParams("openid military " + ial2), true},
		{"service member under military and identity", "/oauth/authorize", "service_member", authorizeParams("openid military " + ial2), false},
		{"first_responder is the responder group", "/oauth/authorize", "responder", authorizeParams("openid first_responder"), true},
		{"login needs no verification", "/oauth/authorize", "unverified", authorizeParams("openid login"), true},
		{"several communities: one is enough", "/oauth/authorize", "student", authorizeParams("openid military student"), true},
		{"several communities: none held", "/oauth/authorize", "teacher", authorizeParams("openid military student"), false},
		{"groups page: one is enough", PathGroups, "student", groupsParams("military,student"), true},
		{"groups page: none held", PathGroups, "unverified", groupsParams("military,student"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := cloneValues(tt.q)
			q.Set("persona", tt.persona)
			resp, body := h.get(t, tt.path, q, nil)
			if tt.completes {
				if got := redirectQuery(t, resp, testRedirect); got.Get("code") == "" {
					t.Fatalf("no code: %v", got)
				}
				return
			}
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d, want the verification page", resp.StatusCode)
			}
			checkPageHeaders(t, resp)
			page := string(body)
			for _, want := range []string{"Verification needed", "support hotline", "Decline"} {
				if !strings.Contains(page, want) {
					t.Errorf("verification page lacks %q", want)
				}
			}
			// Every way out of the page declines: none yields a code.
			links := hrefPattern.FindAllStringSubmatch(page, -1)
			if len(links) == 0 {
				t.Fatal("no decline link")
			}
			for _, m := range links {
				u, err := url.Parse(html.UnescapeString(m[1]))
				if err != nil {
					t.Fatal(err)
				}
				resp, _ := h.get(t, u.Path, u.Query(), nil)
				got := redirectQuery(t, resp, testRedirect)
				if got.Get("code") != "" || got.Get("error") != "access_denied" || got.Get("state") != tt.q.Get("state") {
					t.Fatalf("leaving the verification page via %s gave %v", m[1], got)
				}
			}
		})
	}
}

// TestGroupsPageTakesCommunitiesOnly: the groups page's scopes are communities; anything else
// is refused before a persona is shown.
func TestGroupsPageTakesCommunitiesOnly(t *testing.T) {
	h := newHarness(t)
	for _, scopes := range []string{"military,openid", "military,bogus", ""} {
		resp, _ := h.get(t, PathGroups, groupsParams(scopes), nil)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("scopes=%q: status %d, want 400", scopes, resp.StatusCode)
		}
	}
	resp, body := h.get(t, PathGroups, groupsParams("military,student"), nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "one of: military, student") {
		t.Fatalf("picker: %d %s", resp.StatusCode, body)
	}
}

// TestRootPage: the bare URL shows where the endpoints are instead of a 404.
func TestRootPage(t *testing.T) {
	h := newHarness(t)
	resp, body := h.get(t, "/", nil, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	checkPageHeaders(t, resp)
	for _, want := range []string{h.base + "/oidc/.well-known/openid-configuration", h.base + "/oidc/.well-known/jwks", `name="viewport"`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("root page lacks %q", want)
		}
	}
}

const ial2 = "http://idmanagement.gov/ns/assurance/ial/2/aal/2"

func groupsParams(scopes string) url.Values {
	q := authorizeParams("openid")
	q.Set("scopes", scopes)
	return q
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
