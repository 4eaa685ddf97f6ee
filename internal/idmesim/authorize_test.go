package idmesim

import (
	"crypto/sha256"
	"encoding/base64"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func TestAuthorizeRefusals(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name   string
		change func(q url.Values)
		// Either a page (status, no Location) or an OAuth error redirect.
		wantStatus int
		wantError  string
		wantState  bool
	}{
		{"unknown client", func(q url.Values) { q.Set("client_id", "nope") }, http.StatusBadRequest, "", false},
		{"missing client", func(q url.Values) { q.Del("client_id") }, http.StatusBadRequest, "", false},
		{"unregistered redirect_uri", func(q url.Values) { q.Set("redirect_uri", "https://evil.example.test/cb") }, http.StatusBadRequest, "", false},
		{"redirect_uri prefix of registered", func(q url.Values) { q.Set("redirect_uri", "https://bridge.example.test/callback/x") }, http.StatusBadRequest, "", false},
		{"another client's redirect_uri", func(q url.Values) { q.Set("redirect_uri", otherRedirect) }, http.StatusBadRequest, "", false},
		{"missing redirect_uri", func(q url.Values) { q.Del("redirect_uri") }, http.StatusBadRequest, "", false},
		{"unknown persona", func(q url.Values) { q.Set("persona", "astronaut") }, http.StatusBadRequest, "", false},
		{"persona twice", func(q url.Values) { q["persona"] = []string{"veteran", "student"} }, http.StatusBadRequest, "", false},
		{"response_type token", func(q url.Values) { q.Set("response_type", "token") }, http.StatusFound, "unsupported_response_type", true},
		{"missing response_type", func(q url.Values) { q.Del("response_type") }, http.StatusFound, "unsupported_response_type", true},
		{"missing scope", func(q url.Values) { q.Del("scope") }, http.StatusFound, "invalid_request", true},
		{"blank scope", func(q url.Values) { q.Set("scope", "  ") }, http.StatusFound, "invalid_request", true},
		{"unknown scope", func(q url.Values) { q.Set("scope", "openid astronaut") }, http.StatusFound, "invalid_scope", true},
		{"plain PKCE", func(q url.Values) { q.Set("code_challenge", testChallenge); q.Set("code_challenge_method", "plain") }, http.StatusFound, "invalid_request", true},
		{"PKCE without method", func(q url.Values) { q.Set("code_challenge", testChallenge) }, http.StatusFound, "invalid_request", true},
		{"PKCE method without challenge", func(q url.Values) { q.Set("code_challenge_method", "S256") }, http.StatusFound, "invalid_request", true},
		{"short PKCE challenge", func(q url.Values) { q.Set("code_challenge", "abc"); q.Set("code_challenge_method", "S256") }, http.StatusFound, "invalid_request", true},
		{"cancel persona", func(q url.Values) { q.Set("persona", "cancel") }, http.StatusFound, "access_denied", true},
		{"cancel persona without state", func(q url.Values) { q.Set("persona", "cancel"); q.Del("state") }, http.StatusFound, "access_denied", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := authorizeParams("openid military")
			q.Set("persona", "veteran")
			tt.change(q)
			resp, body := h.get(t, "/oauth/authorize", q, nil)
			if tt.wantError == "" {
				if resp.StatusCode != tt.wantStatus {
					t.Fatalf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
				}
				if loc := resp.Header.Get("Location"); loc != "" {
					t.Fatalf("refused request redirected to %q", loc)
				}
				checkPageHeaders(t, resp)
				if !strings.Contains(string(body), "simulator") {
					t.Errorf("error page lacks the simulator note: %s", body)
				}
				return
			}
			got := redirectQuery(t, resp, testRedirect)
			if got.Get("error") != tt.wantError || got.Get("error_description") == "" {
				t.Fatalf("redirect query = %v, want error %s", got, tt.wantError)
			}
			if got.Get("code") != "" {
				t.Errorf("error redirect carries a code: %v", got)
			}
			if _, has := got["state"]; has != tt.wantState || (tt.wantState && got.Get("state") != "st-123") {
				t.Errorf("state in %v, want present=%v", got, tt.wantState)
			}
		})
	}
}

func TestAuthorizeOnlyGET(t *testing.T) {
	h := newHarness(t)
	req, _ := http.NewRequest(http.MethodPost, h.base+"/oauth/authorize?"+authorizeParams("openid").Encode(), nil)
	resp, _ := h.do(t, req)
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST authorize status = %d, want 405", resp.StatusCode)
	}
}

func TestAuthorizeOversizedQuery(t *testing.T) {
	h := newHarness(t)
	q := authorizeParams("openid")
	q.Set("state", strings.Repeat("x", 9000))
	resp, _ := h.get(t, "/oauth/authorize", q, nil)
	if resp.StatusCode != http.StatusRequestURITooLong || resp.Header.Get("Location") != "" {
		t.Fatalf("status = %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

var (
	hrefPattern   = regexp.MustCompile(`href="([^"]*)"`)
	entityPattern = regexp.MustCompile(`&(?:[a-zA-Z]+|#[0-9]+|#x[0-9a-fA-F]+);`)
)

func TestPersonaPicker(t *testing.T) {
	h := newHarness(t)
	q := authorizeParams("openid military")
	q.Set("state", `"><script>alert(1)</script>`)
	q.Set("code_challenge", testChallenge)
	q.Set("code_challenge_method", "S256")
	resp, body := h.get(t, "/oauth/authorize", q, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d: %s", resp.StatusCode, body)
	}
	checkPageHeaders(t, resp)
	page := string(body)
	if strings.Contains(page, "<script") {
		t.Fatalf("state was not escaped: %s", page)
	}
	if !strings.Contains(page, "simulator") {
		t.Error("page lacks the simulator note")
	}

	// The inline style must be exactly what the CSP hash allows.
	style := page[strings.Index(page, "<style>")+len("<style>") : strings.Index(page, "</style>")]
	sum := sha256.Sum256([]byte(style))
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'") {
		t.Errorf("CSP %q does not allow the page's style", csp)
	}

	links := make(map[string]url.Values)
	for _, m := range hrefPattern.FindAllStringSubmatch(page, -1) {
		if strings.Contains(entityPattern.ReplaceAllString(m[1], ""), "&") {
			t.Errorf("href %q is not HTML-escaped", m[1])
		}
		u, err := url.Parse(html.UnescapeString(m[1]))
		if err != nil {
			t.Fatalf("bad link %q: %v", m[1], err)
		}
		if u.Path != "/oauth/authorize" || u.Host != "" {
			t.Errorf("link %q does not point back to authorize", m[1])
		}
		links[u.Query().Get("persona")] = u.Query()
	}
	for _, p := range Personas() {
		lq, ok := links[p.ID]
		if !ok {
			t.Errorf("no link for persona %s", p.ID)
			continue
		}
		for k := range q {
			if lq.Get(k) != q.Get(k) {
				t.Errorf("persona %s link: %s = %q, want %q", p.ID, k, lq.Get(k), q.Get(k))
			}
		}
		if !strings.Contains(page, html.EscapeString(p.Label)) {
			t.Errorf("label of %s missing", p.ID)
		}
	}
	if len(links) != len(Personas()) {
		t.Errorf("page has %d persona links, want %d", len(links), len(Personas()))
	}

	// Following a link (as the browser would) completes the authorize step.
	resp, _ = h.get(t, "/oauth/authorize", links["veteran"], nil)
	got := redirectQuery(t, resp, testRedirect)
	if got.Get("code") == "" || got.Get("state") != q.Get("state") {
		t.Fatalf("following the link gave %v", got)
	}
}

func checkPageHeaders(t *testing.T, resp *http.Response) {
	t.Helper()
	h := resp.Header
	if !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Errorf("Content-Type = %q", h.Get("Content-Type"))
	}
	if h.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q", h.Get("Cache-Control"))
	}
	csp := h.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
}
