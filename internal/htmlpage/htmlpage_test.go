package htmlpage

import (
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"log/slog"
	"maps"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func TestRender(t *testing.T) {
	pages := template.Must(template.New("p").Parse(`{{define "ok"}}<p>{{.}}</p>{{end}}{{define "bad"}}{{.Missing.Field}}{{end}}`))
	csp := StyleOnlyCSP("p{color:red}")
	tests := []struct {
		name, page string
		data       any
		wantStatus int
		wantBody   string
	}{
		{"escapes data", "ok", "<script>", 201, "<p>&lt;script&gt;</p>"},
		{"template error is a clean 500", "bad", "x", 500, "internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			Render(rec, slog.New(slog.DiscardHandler), pages, csp, 201, tt.page, tt.data)
			if rec.Code != tt.wantStatus || !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Fatalf("%d %q", rec.Code, rec.Body.String())
			}
			if tt.wantStatus == 201 && (rec.Header().Get("Content-Security-Policy") != csp || rec.Header().Get("Cache-Control") != "no-store") {
				t.Fatalf("headers %v", rec.Header())
			}
		})
	}
	if !strings.Contains(csp, "style-src 'sha256-") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Fatalf("csp %q", csp)
	}
}

func TestLinksPage(t *testing.T) {
	h := BridgeLinks("https://bridge.example", Link{Label: "Demo", Href: "http://localhost:7073/"}).Handler("ID.me bridge", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`href="https://bridge.example/.well-known/openid-configuration"`, `href="https://bridge.example/.well-known/jwks.json"`,
		`href="https://bridge.example/healthz"`, `href="http://localhost:7073/"`,
		`<meta name="viewport" content="width=device-width, initial-scale=1">`, "<title>ID.me bridge</title>",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s:\n%s", want, body)
		}
	}
	if rec.Code != 200 || rec.Header().Get("Content-Security-Policy") != CSP() {
		t.Fatalf("%d %v", rec.Code, rec.Header())
	}
}

var styleElement = regexp.MustCompile(`(?s)<style>(.*?)</style>`)

// TestStyleOnlyCSP checks the policy directive by directive: nothing may load, run, frame the
// page or be posted from it; the one stylesheet is allowed by its hash, and that hash is the
// hash of the <style> the page really carries (a page restyled without the policy would lose
// its style, and 'unsafe-inline' would let injected markup style or script itself).
func TestStyleOnlyCSP(t *testing.T) {
	rec := httptest.NewRecorder()
	BridgeLinks("https://bridge.example").Handler("ID.me bridge", nil).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	m := styleElement.FindStringSubmatch(rec.Body.String())
	if m == nil {
		t.Fatalf("no <style> in the page:\n%s", rec.Body.String())
	}
	sum := sha256.Sum256([]byte(m[1]))
	policy := rec.Header().Get("Content-Security-Policy")
	got := map[string]string{}
	for _, d := range strings.Split(policy, ";") {
		name, sources, _ := strings.Cut(strings.TrimSpace(d), " ")
		if _, dup := got[name]; dup {
			t.Errorf("%s twice in %q", name, policy)
		}
		got[name] = sources
	}
	want := map[string]string{
		"default-src":     "'none'",
		"style-src":       "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'",
		"base-uri":        "'none'",
		"form-action":     "'none'",
		"frame-ancestors": "'none'",
	}
	if !maps.Equal(got, want) {
		t.Errorf("policy %q\nwant directives %v", policy, want)
	}
	for name, value := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
		"Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "Pragma": "no-cache"} {
		if h := rec.Header().Get(name); h != value {
			t.Errorf("%s: %q, want %q", name, h, value)
		}
	}
}
