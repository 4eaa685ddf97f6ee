package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"idmebridge/internal/loadtest"
	"idmebridge/internal/rsafloor"
)

// The bridge's endpoints, benchmarked through its real handler (whatever is behind it), with
// the ID.me simulator (ES256, so it costs little) on loopback. Every result also reads as a
// multiple of one RSA-2048 signature measured in the same run (rsa2048-signs/op):
//
//	go test -run '^$' -bench . -benchmem ./internal/app
//
// These run only with -bench.

type bench struct {
	*loadtest.Local
	sim    *http.Client
	jwks   string // path of the JWKS endpoint
	states int
}

func newBench(b *testing.B) *bench {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	l, err := loadtest.StartLocal(ctx, loadtest.LocalOptions{})
	if err != nil {
		cancel()
		b.Fatal(err)
	}
	b.Cleanup(func() { cancel(); _ = l.Wait() })
	bn := &bench{Local: l, sim: &http.Client{
		Timeout:       5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	var meta struct {
		JWKS string `json:"jwks_uri"`
	}
	w := bn.serve(httptest.NewRequest(http.MethodGet, "/.well-known/openid-configuration", nil))
	if err := json.Unmarshal(w.Body.Bytes(), &meta); err != nil {
		b.Fatalf("discovery: %v", err)
	}
	u, _ := url.Parse(meta.JWKS)
	bn.jwks = u.Path
	return bn
}

func (bn *bench) serve(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	bn.Bridge.ServeHTTP(w, r)
	return w
}

func (bn *bench) authorizeRequest() *http.Request {
	bn.states++
	t := bn.Target
	q := url.Values{"client_id": {t.ClientID}, "redirect_uri": {t.RedirectURI}, "response_type": {"code"},
		"scope": {t.Scope}, "state": {"st" + string(rune('a'+bn.states%26))}, "nonce": {"n-bench"}, "response_mode": {"form_post"}}
	return httptest.NewRequest(http.MethodGet, "/authorize?"+q.Encode(), nil)
}

// authorize returns the ID.me URL and the binding cookies.
func (bn *bench) authorize(b *testing.B) (*url.URL, []*http.Cookie) {
	w := bn.serve(bn.authorizeRequest())
	if w.Code != http.StatusFound && w.Code != http.StatusSeeOther {
		b.Fatalf("authorize: %d %s", w.Code, w.Body)
	}
	loc, err := url.Parse(w.Header().Get("Location"))
	if err != nil {
		b.Fatal(err)
	}
	return loc, w.Result().Cookies()
}

// atIDme picks the persona at the simulator and returns the callback request.
func (bn *bench) atIDme(b *testing.B, idme *url.URL, cookies []*http.Cookie) *http.Request {
	q := idme.Query()
	q.Set("persona", bn.Target.Persona)
	idme.RawQuery = q.Encode()
	resp, err := bn.sim.Get(idme.String())
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	cb, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound {
		b.Fatalf("simulator: %d %v", resp.StatusCode, err)
	}
	r := httptest.NewRequest(http.MethodGet, cb.RequestURI(), nil)
	for _, c := range cookies {
		r.AddCookie(c)
	}
	return r
}

// callback returns the code the bridge posts back.
func (bn *bench) callback(b *testing.B, r *http.Request) string {
	w := bn.serve(r)
	body := w.Body.String()
	const marker = `name="code" value="`
	i := strings.Index(body, marker)
	if w.Code != http.StatusOK || i < 0 {
		b.Fatalf("callback: %d %s", w.Code, body)
	}
	i += len(marker)
	return body[i : i+strings.IndexByte(body[i:], '"')]
}

func (bn *bench) tokenRequest(code string) *http.Request {
	t := bn.Target
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {t.RedirectURI},
		"client_id": {t.ClientID}, "client_secret": {t.ClientSecret}}
	r := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

// token redeems code and returns the access token.
func (bn *bench) token(b *testing.B, code string) string {
	w := bn.serve(bn.tokenRequest(code))
	var resp struct {
		AccessToken string `json:"access_token"`
		IDToken     string `json:"id_token"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &resp); w.Code != http.StatusOK || err != nil || resp.IDToken == "" {
		b.Fatalf("token: %d %s", w.Code, w.Body)
	}
	return resp.AccessToken
}

func (bn *bench) code(b *testing.B) string {
	idme, cookies := bn.authorize(b)
	return bn.callback(b, bn.atIDme(b, idme, cookies))
}

func BenchmarkRSA2048PKCS1v15(b *testing.B) {
	k, err := rsafloor.Key()
	if err != nil {
		b.Fatal(err)
	}
	digest := make([]byte, 32)
	m := rsafloor.StartMeter(b)
	for b.Loop() {
		if err := rsafloor.Sign(k, digest); err != nil {
			b.Fatal(err)
		}
	}
	m.Report()
}

func BenchmarkDiscovery(b *testing.B) {
	bn := newBench(b)
	b.ReportAllocs()
	m := rsafloor.StartMeter(b)
	for b.Loop() {
		if w := bn.serve(httptest.NewRequest(http.MethodGet, "/.well-known/openid-configuration", nil)); w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
	m.Report()
}

func BenchmarkJWKS(b *testing.B) {
	bn := newBench(b)
	b.ReportAllocs()
	m := rsafloor.StartMeter(b)
	for b.Loop() {
		if w := bn.serve(httptest.NewRequest(http.MethodGet, bn.jwks, nil)); w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
	m.Report()
}

func BenchmarkAuthorize(b *testing.B) {
	bn := newBench(b)
	b.ReportAllocs()
	m := rsafloor.StartMeter(b)
	for b.Loop() {
		bn.authorize(b)
	}
	m.Report()
}

// BenchmarkCallback includes the bridge's two calls to the simulator (code exchange and
// attributes) over loopback, and the simulator's work on them.
func BenchmarkCallback(b *testing.B) {
	bn := newBench(b)
	b.ReportAllocs()
	m := rsafloor.StartMeter(b)
	for b.Loop() {
		b.StopTimer()
		m.Pause()
		idme, cookies := bn.authorize(b)
		r := bn.atIDme(b, idme, cookies)
		m.Resume()
		b.StartTimer()
		bn.callback(b, r)
	}
	m.Report()
}

func BenchmarkToken(b *testing.B) {
	bn := newBench(b)
	b.ReportAllocs()
	m := rsafloor.StartMeter(b)
	for b.Loop() {
		b.StopTimer()
		m.Pause()
		code := bn.code(b)
		m.Resume()
		b.StartTimer()
		bn.token(b, code)
	}
	m.Report()
}

func BenchmarkUserinfo(b *testing.B) {
	bn := newBench(b)
	b.ReportAllocs()
	m := rsafloor.StartMeter(b)
	for b.Loop() {
		b.StopTimer()
		m.Pause()
		access := bn.token(b, bn.code(b))
		r := httptest.NewRequest(http.MethodGet, "/userinfo", nil)
		r.Header.Set("Authorization", "Bearer "+access)
		m.Resume()
		b.StartTimer()
		if w := bn.serve(r); w.Code != http.StatusOK {
			b.Fatalf("userinfo: %d %s", w.Code, w.Body)
		}
	}
	m.Report()
}

// BenchmarkSignIn is a whole sign-in in process: authorize, the simulator, callback, token.
func BenchmarkSignIn(b *testing.B) {
	bn := newBench(b)
	b.ReportAllocs()
	m := rsafloor.StartMeter(b)
	for b.Loop() {
		bn.token(b, bn.code(b))
	}
	m.Report()
}

// BenchmarkSignInOverHTTP is a whole sign-in as the load driver makes it: a browser with
// cookies and a relying party, over loopback HTTP, the driver's own work included.
func BenchmarkSignInOverHTTP(b *testing.B) {
	bn := newBench(b)
	d, err := loadtest.NewDriver(context.Background(), bn.Target, 1)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	m := rsafloor.StartMeter(b)
	for b.Loop() {
		if _, err := d.SignIn(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	m.Report()
}
