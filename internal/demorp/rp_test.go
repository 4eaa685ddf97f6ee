package demorp

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
)

func TestNewRejectsBadOptions(t *testing.T) {
	good := func() Options {
		return Options{BaseURL: testBaseURL, Issuer: "http://127.0.0.1:7071", ClientID: "c", ClientSecret: "s", Choices: []string{"military"}}
	}
	tests := []struct {
		name   string
		modify func(o *Options)
	}{
		{"relative base URL", func(o *Options) { o.BaseURL = "/demo" }},
		{"base URL with query", func(o *Options) { o.BaseURL = testBaseURL + "/?a=b" }},
		{"base URL path with pattern syntax", func(o *Options) { o.BaseURL = testBaseURL + "/{x}" }},
		{"missing issuer", func(o *Options) { o.Issuer = "" }},
		{"issuer with fragment", func(o *Options) { o.Issuer = "http://127.0.0.1:7071#x" }},
		{"missing client id", func(o *Options) { o.ClientID = "" }},
		{"missing client secret", func(o *Options) { o.ClientSecret = "" }},
		{"choice with a double space", func(o *Options) { o.Choices = []string{"military  student"} }},
		{"choice with a tab", func(o *Options) { o.Choices = []string{"military\tstudent"} }},
		{"choice with openid among several", func(o *Options) { o.Choices = []string{"military openid"} }},
		{"empty choice", func(o *Options) { o.Choices = []string{""} }},
		{"openid as a choice", func(o *Options) { o.Choices = []string{"openid"} }},
		{"duplicate choice", func(o *Options) { o.Choices = []string{"student", "student"} }},
	}
	if _, err := New(good()); err != nil {
		t.Fatalf("good options rejected: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := good()
			tt.modify(&o)
			if _, err := New(o); err == nil {
				t.Fatal("New accepted bad options")
			}
		})
	}
}

func TestIndexOffersEveryChoice(t *testing.T) {
	h := newHarness(t)
	rec := h.get("/")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	body := rec.Body.String()
	for _, want := range []string{
		`href="` + testBaseURL + `/login?policy=military"`,
		`href="` + testBaseURL + `/login?policy=student"`,
		`href="` + testBaseURL + `/login?policy=http%3A%2F%2Fidmanagement.gov%2Fns%2Fassurance%2Fial%2F2%2Faal%2F2"`,
		`href="` + testBaseURL + `/login"`, // openid only
		"openid only",
		testBaseURL + RedirectPath(),
	} {
		if !strings.Contains(body, want) {
			t.Errorf("start page lacks %s", want)
		}
	}
	assertPageHeaders(t, rec.Header(), body)
}

func TestLoginRedirectIsWhatB2CSends(t *testing.T) {
	tests := []struct {
		policy, wantScope string
	}{
		{"military", "openid military"},
		{"http://idmanagement.gov/ns/assurance/ial/2/aal/2", "openid http://idmanagement.gov/ns/assurance/ial/2/aal/2"},
		{"", "openid"},
	}
	for _, tt := range tests {
		t.Run(tt.wantScope, func(t *testing.T) {
			h := newHarness(t)
			loc, err := url.Parse(h.startLogin(tt.policy))
			if err != nil {
				t.Fatal(err)
			}
			q := loc.Query()
			want := map[string]string{
				"response_type": "code",
				"response_mode": "form_post",
				"client_id":     testClientID,
				"redirect_uri":  testBaseURL + "/oauth2/authresp",
				"scope":         tt.wantScope,
			}
			for k, v := range want {
				if got := q.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			for _, k := range []string{"state", "nonce"} {
				if len(q.Get(k)) < 22 { // 128 bits in base32
					t.Errorf("%s = %q, want a random value", k, q.Get(k))
				}
			}
			if q.Get("state") == q.Get("nonce") {
				t.Error("state and nonce are the same value")
			}
			if q.Has("code_challenge") {
				t.Error("PKCE sent; B2C sends none")
			}
		})
	}
}

func TestLoginRefusesUnofferedPolicy(t *testing.T) {
	h := newHarness(t)
	rec := h.get("/login?policy=admin")
	if rec.Code != http.StatusBadRequest || rec.Header().Get("Location") != "" {
		t.Fatalf("status %d, location %q; want 400 without redirect", rec.Code, rec.Header().Get("Location"))
	}
}

func TestDiscoveryIsRetriedAfterFailure(t *testing.T) {
	h := newHarness(t)
	h.op.set(func(op *fakeOP) { op.discoveryFailures = 1 })
	if rec := h.get("/login?policy=military"); rec.Code != http.StatusBadGateway {
		t.Fatalf("first login with failing discovery: status %d, want 502", rec.Code)
	}
	h.startLogin("military") // fails the test unless it redirects
}

func TestCallback(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(op *fakeOP)
		answer     func(form url.Values)
		wantStatus int
		want       []string
		notWant    []string
	}{
		{
			name:       "good answer renders the claims",
			wantStatus: http.StatusOK,
			want: []string{
				"Sign-in result",
				`<div class="good">military: verified, Veteran</div>`,
				"Not requested: teacher.",
				"<code>openid military</code>",
				"&#34;alg&#34;: &#34;RS256&#34;",
				"&#34;kid&#34;: &#34;" + testKeyID + "&#34;",
				`<textarea id="id-token" readonly`,
				"<pre>{\n  &#34;aud&#34;: [\n    &#34;" + testClientID + "&#34;",
				"&#34;given_name&#34;: &#34;Ada&#34;",
				"Userinfo matches the id_token claims",
				`<a href="` + testBaseURL + `/">`,
			},
		},
		{
			name:       "userinfo that disagrees is shown, not fatal",
			setup:      func(op *fakeOP) { op.mutateUserInfo = func(c map[string]any) { c["email"] = "other@example.test" } },
			wantStatus: http.StatusOK,
			want:       []string{"Userinfo differs from the id_token claims", "email: id_token ada@example.test, userinfo other@example.test"},
		},
		{
			name:       "wrong nonce",
			setup:      func(op *fakeOP) { op.mutateIDToken = func(c map[string]any) { c["nonce"] = "not-the-nonce" } },
			wantStatus: http.StatusBadGateway,
			want:       []string{"The id_token was rejected", "nonce"},
			notWant:    []string{"Sign-in result"},
		},
		{
			name:       "missing nonce",
			setup:      func(op *fakeOP) { op.mutateIDToken = func(c map[string]any) { delete(c, "nonce") } },
			wantStatus: http.StatusBadGateway,
			want:       []string{"The id_token was rejected", "nonce"},
		},
		{
			name:       "wrong audience",
			setup:      func(op *fakeOP) { op.mutateIDToken = func(c map[string]any) { c["aud"] = "someone-else" } },
			wantStatus: http.StatusBadGateway,
			want:       []string{"The id_token was rejected", "audience"},
		},
		{
			name:       "wrong issuer in the token",
			setup:      func(op *fakeOP) { op.mutateIDToken = func(c map[string]any) { c["iss"] = "http://127.0.0.1:1/other" } },
			wantStatus: http.StatusBadGateway,
			want:       []string{"The id_token was rejected", "http://127.0.0.1:1/other"},
		},
		{
			name: "expired token",
			setup: func(op *fakeOP) {
				op.mutateIDToken = func(c map[string]any) { c["exp"] = op.clock.Now().Add(-time.Minute).Unix() }
			},
			wantStatus: http.StatusBadGateway,
			want:       []string{"The id_token was rejected", "expired"},
		},
		{
			name:       "signed with an algorithm other than RS256",
			setup:      func(op *fakeOP) { op.signAlg = jwa.RS384 },
			wantStatus: http.StatusBadGateway,
			want:       []string{"The id_token was rejected", "RS384"},
		},
		{
			name:       "iss parameter names another issuer",
			answer:     func(f url.Values) { f.Set("iss", "http://127.0.0.1:1") },
			wantStatus: http.StatusBadRequest,
			want:       []string{"Answer from the wrong issuer", "http://127.0.0.1:1"},
		},
		{
			name:       "iss parameter missing although advertised",
			answer:     func(f url.Values) { f.Del("iss") },
			wantStatus: http.StatusBadRequest,
			want:       []string{"Answer without issuer"},
		},
		{
			name:       "iss parameter missing and not advertised",
			setup:      func(op *fakeOP) { op.advertiseIssParam = false },
			answer:     func(f url.Values) { f.Del("iss") },
			wantStatus: http.StatusOK,
			want:       []string{"Sign-in result"},
		},
		{
			name:       "unknown state",
			answer:     func(f url.Values) { f.Set("state", "made-up") },
			wantStatus: http.StatusBadRequest,
			want:       []string{"Unknown or expired sign-in"},
		},
		{
			name:       "missing state",
			answer:     func(f url.Values) { f.Del("state") },
			wantStatus: http.StatusBadRequest,
			want:       []string{"Unknown or expired sign-in"},
		},
		{
			name: "error parameter is shown, escaped",
			answer: func(f url.Values) {
				f.Del("code")
				f.Set("error", "access_denied")
				f.Set("error_description", "The user declined <script>alert(1)</script>")
			},
			wantStatus: http.StatusBadRequest,
			want:       []string{"The bridge answered with an error", "<code>access_denied</code>", "The user declined &lt;script&gt;alert(1)&lt;/script&gt;"},
			notWant:    []string{"<script>"},
		},
		{
			name:       "missing code",
			answer:     func(f url.Values) { f.Del("code") },
			wantStatus: http.StatusBadRequest,
			want:       []string{"Answer without a code"},
		},
		{
			name: "token endpoint failure is shown",
			setup: func(op *fakeOP) {
				op.failToken = &tokenFailure{http.StatusBadRequest, "invalid_grant", "code already used"}
			},
			wantStatus: http.StatusBadGateway,
			want:       []string{"The token endpoint refused the code", "error=invalid_grant", "error_description=code already used"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			if tt.setup != nil {
				h.op.set(tt.setup)
			}
			form := h.answerFor("military")
			if tt.answer != nil {
				tt.answer(form)
			}
			rec := h.postAnswer(form)
			body := rec.Body.String()
			if rec.Code != tt.wantStatus {
				t.Errorf("status %d, want %d; body:\n%s", rec.Code, tt.wantStatus, body)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q; body:\n%s", w, body)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(body, w) {
					t.Errorf("page contains %q", w)
				}
			}
			assertPageHeaders(t, rec.Header(), body)
		})
	}
}

func TestCodeIsRedeemedWithClientSecretPost(t *testing.T) {
	h := newHarness(t)
	if rec := h.postAnswer(h.answerFor("student")); rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	h.op.mu.Lock()
	form, auth := h.op.lastTokenForm, h.op.lastTokenAuthHeader
	h.op.mu.Unlock()
	if auth != "" {
		t.Errorf("Authorization header %q sent; client_secret_post sends the secret in the body", auth)
	}
	if form.Get("client_id") != testClientID || form.Get("client_secret") != testSecret {
		t.Errorf("client credentials not in the body: %v", form)
	}
	if form.Get("redirect_uri") != testBaseURL+RedirectPath() {
		t.Errorf("redirect_uri = %q", form.Get("redirect_uri"))
	}
	if form.Has("code_verifier") {
		t.Error("code_verifier sent without PKCE")
	}
}

func TestStateWorksOnce(t *testing.T) {
	h := newHarness(t)
	form := h.answerFor("military")
	if rec := h.postAnswer(form); rec.Code != http.StatusOK {
		t.Fatalf("first answer: status %d: %s", rec.Code, rec.Body)
	}
	rec := h.postAnswer(form)
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "Unknown or expired sign-in") {
		t.Fatalf("replayed answer: status %d: %s", rec.Code, rec.Body)
	}
}

func TestStateIsConsumedEvenWhenTheSignInFails(t *testing.T) {
	h := newHarness(t)
	h.op.set(func(op *fakeOP) { op.failToken = &tokenFailure{http.StatusInternalServerError, "server_error", ""} })
	form := h.answerFor("military")
	if rec := h.postAnswer(form); rec.Code != http.StatusBadGateway {
		t.Fatalf("first answer: status %d", rec.Code)
	}
	h.op.set(func(op *fakeOP) { op.failToken = nil })
	if rec := h.postAnswer(form); rec.Code != http.StatusBadRequest {
		t.Fatalf("second answer: status %d, want 400", rec.Code)
	}
}

func TestStateExpires(t *testing.T) {
	h := newHarness(t)
	form := h.answerFor("military")
	h.clock.Advance(pendingTTL + time.Second)
	rec := h.postAnswer(form)
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "Unknown or expired sign-in") {
		t.Fatalf("late answer: status %d: %s", rec.Code, rec.Body)
	}
}

func TestAnswerBodyIsBounded(t *testing.T) {
	h := newHarness(t)
	form := h.answerFor("military")
	form.Set("padding", strings.Repeat("x", maxBodyBytes))
	if rec := h.postAnswer(form); rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413", rec.Code)
	}
}

func TestRoutesAreMethodSpecific(t *testing.T) {
	h := newHarness(t)
	if rec := h.get(RedirectPath()); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET %s: status %d, want 405", RedirectPath(), rec.Code)
	}
	if rec := h.get("/nope"); rec.Code != http.StatusNotFound {
		t.Errorf("GET /nope: status %d, want 404", rec.Code)
	}
}

var styleElement = regexp.MustCompile(`(?s)<style>(.*?)</style>`)

// assertPageHeaders checks what every HTML page must carry, including that the CSP's style
// hash is the hash of the page's one <style> element (otherwise browsers drop the styling).
func assertPageHeaders(t *testing.T, h http.Header, body string) {
	t.Helper()
	if got := h.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q", got)
	}
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'", "form-action 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %s", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(body, "<script") {
		t.Errorf("inline script or style allowed: %q", csp)
	}
	m := styleElement.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("page has no <style> element")
	}
	sum := sha256.Sum256([]byte(m[1]))
	if want := "style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(csp, want) {
		t.Errorf("CSP %q does not allow the page's style (%s)", csp, want)
	}
}
