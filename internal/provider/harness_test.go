package provider

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwt"

	"idmebridge/internal/claims"
	"idmebridge/internal/config"
	"idmebridge/internal/keys"
	"idmebridge/internal/seal"
	"idmebridge/internal/secrets"
	"idmebridge/internal/store"
	"idmebridge/internal/upstream"
)

const (
	issuer      = "https://bridge.test"
	rpID        = "b2c-tenant"
	rpSecret    = "rp-secret-value"
	rpRedirect  = "https://tenant.b2clogin.com/tenant.onmicrosoft.com/oauth2/authresp"
	rp2ID       = "other-app"
	rp2Secret   = "other-secret-value"
	rp2Redirect = "https://app.example/callback"
	rpLogout    = "https://app.example/signed-out"
)

// fakeUpstream is an upstream connector the test controls: it hands out opaque data, records
// what it was asked, and answers the callback with the identity (or error) the test set.
type fakeUpstream struct {
	mu       sync.Mutex
	identity upstream.Identity
	err      error
	delay    time.Duration
	calls    atomic.Int32
	lastReq  upstream.LoginRequest
}

type fakeData struct {
	Nonce string `json:"n"`
}

func (f *fakeUpstream) Begin(r upstream.LoginRequest) ([]byte, error) {
	f.mu.Lock()
	f.lastReq = r
	f.mu.Unlock()
	return json.Marshal(fakeData{Nonce: randomToken()})
}

func (f *fakeUpstream) LoginURL(data []byte, state string) (string, error) {
	return "https://idme.test/oauth/authorize?" + url.Values{"state": {state}}.Encode(), nil
}

func (f *fakeUpstream) HandleCallback(ctx context.Context, data []byte, q url.Values) (upstream.Identity, error) {
	f.calls.Add(1)
	var d fakeData
	if err := json.Unmarshal(data, &d); err != nil || d.Nonce == "" {
		return upstream.Identity{}, errors.New("upstream data lost")
	}
	f.mu.Lock()
	id, err, delay := f.identity, f.err, f.delay
	f.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return upstream.Identity{}, &upstream.Error{Code: "temporarily_unavailable", Description: "ID.me could not be reached; try again", Err: ctx.Err(), Kind: upstream.KindTimeout}
		}
	}
	if q.Get("error") != "" {
		return upstream.Identity{}, &upstream.Error{Code: "access_denied", Description: "declined", Kind: upstream.KindDeclined}
	}
	return id, err
}

func (f *fakeUpstream) LogoutURL(returnTo string) string {
	return "https://idme.test/oauth/logout?" + url.Values{"redirect_uri": {returnTo}}.Encode()
}

// countingStore counts round trips and can fail them.
type countingStore struct {
	store.Store
	creates, gets atomic.Int32
	failCreate    atomic.Bool
	failGet       atomic.Bool
	// writerBehind is how far the writing instance's clock lags the reader's: a record's
	// expiry is set by the writer, so it lives that much less by the reader's clock.
	writerBehind atomic.Int64 // nanoseconds
}

var errStoreDown = errors.New("storage unavailable at https://account.blob.core.windows.net/records/state/x")

func (s *countingStore) Create(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	s.creates.Add(1)
	if s.failCreate.Load() {
		return errStoreDown
	}
	return s.Store.Create(ctx, key, value, ttl-time.Duration(s.writerBehind.Load()))
}

func (s *countingStore) Get(ctx context.Context, key string) ([]byte, error) {
	s.gets.Add(1)
	if s.failGet.Load() {
		return nil, errStoreDown
	}
	return s.Store.Get(ctx, key)
}

func (s *countingStore) trips() int { return int(s.creates.Load() + s.gets.Load()) }

// env is one provider with a fake upstream, in memory.
type env struct {
	t       testing.TB
	p       *Provider
	h       http.Handler
	up      *fakeUpstream
	st      *countingStore
	secrets secrets.Map
	keys    *keys.Set
	cfg     *config.Config
	clock   atomic.Int64 // unix seconds

	keySource *flakyKeys
}

// flakyKeys is the signing key source, which a test can take down.
type flakyKeys struct {
	set  *keys.Set
	down atomic.Bool
}

func (k *flakyKeys) Current(context.Context) (*keys.Set, error) {
	if k.down.Load() {
		return nil, errors.New("signing keys unavailable")
	}
	return k.set, nil
}

func newEnv(t testing.TB, change ...func(*config.Config)) *env {
	t.Helper()
	set, err := keys.Generate()
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{
		Issuer: issuer,
		Clients: []config.Client{
			{ID: rpID, SecretName: "rp-secret", RedirectURIs: []string{rpRedirect}, IDmeScopes: []string{"military", "student"},
				DefaultIDmeScopes: []string{"military"}, DefaultResponseMode: "form_post"},
			{ID: rp2ID, SecretName: "rp2-secret", RedirectURIs: []string{rp2Redirect}, PostLogoutRedirectURIs: []string{rpLogout},
				IDmeScopes: []string{"military"}, DefaultIDmeScopes: []string{"military"}},
		},
		StateKeySecret: "state-key", CodeTTL: time.Minute, TokenTTL: 5 * time.Minute, StateTTL: 10 * time.Minute,
	}
	for _, c := range change {
		c(cfg)
	}
	tr, err := claims.NewTranslator(nil)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{
		t: t, cfg: cfg, keys: set,
		up: &fakeUpstream{identity: upstream.Identity{
			Subject: "user-1",
			Attributes: map[string]string{"uuid": "user-1", "fname": "Ada", "lname": "Lovelace", "email": "ada@example.com",
				"phone": "+15555550100", "zip": "12345"},
			Groups: []upstream.Group{{Name: "military", Subgroups: []string{"Veteran"}, Verified: true}},
		}},
		secrets: secrets.Map{"state-key": seal.NewKey(), "rp-secret": rpSecret, "rp2-secret": rp2Secret},
	}
	e.clock.Store(time.Now().Unix())
	now := func() time.Time { return time.Unix(e.clock.Load(), 0) }
	e.st = &countingStore{Store: store.NewMemory(now)}
	e.keySource = &flakyKeys{set: set}
	p, err := New(Options{Config: cfg, Secrets: e.secrets, Keys: e.keySource, Upstream: e.up, Store: e.st, Claims: tr, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	e.p, e.h = p, p.Handler()
	return e
}

func (e *env) advance(d time.Duration) { e.clock.Add(int64(d / time.Second)) }

// do sends one request to the handler.
func (e *env) do(method, target string, form url.Values, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, target, body)
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, c := range cookies {
		if c != nil {
			r.AddCookie(c)
		}
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

func authzParams(clientID, redirect string) url.Values {
	return url.Values{"client_id": {clientID}, "redirect_uri": {redirect}, "response_type": {"code"},
		"scope": {"openid"}, "state": {"rp-state"}, "nonce": {"rp-nonce"}, "response_mode": {"query"}}
}

// started is a sign-in the bridge sent to the upstream.
type started struct {
	state  string
	cookie *http.Cookie
}

func (e *env) authorize(params url.Values) started {
	e.t.Helper()
	w := e.do("GET", issuer+PathAuthorize+"?"+params.Encode(), nil)
	loc := w.Header().Get("Location")
	if w.Code != http.StatusFound || !strings.HasPrefix(loc, "https://idme.test/") {
		e.t.Fatalf("authorize: status %d location %q body %s", w.Code, loc, w.Body.String())
	}
	u, _ := url.Parse(loc)
	var cookie *http.Cookie
	for _, c := range w.Result().Cookies() {
		if c.Name == bindingCookie {
			cookie = c
		}
	}
	if cookie == nil {
		e.t.Fatal("authorize set no binding cookie")
	}
	return started{state: u.Query().Get("state"), cookie: cookie}
}

// answer is what the relying party received: query redirect or form_post fields.
type answer struct {
	status int
	page   bool // an error page: nothing went to the relying party
	to     string
	params url.Values
}

var (
	hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
	formAction  = regexp.MustCompile(`<form method="post" action="([^"]+)">`)
)

func toRP(w *httptest.ResponseRecorder) answer {
	a := answer{status: w.Code, params: url.Values{}}
	if loc := w.Header().Get("Location"); loc != "" {
		u, _ := url.Parse(loc)
		a.params = u.Query()
		u.RawQuery = ""
		a.to = u.String()
		return a
	}
	if m := formAction.FindStringSubmatch(w.Body.String()); m != nil {
		a.to = html.UnescapeString(m[1])
		for _, f := range hiddenInput.FindAllStringSubmatch(w.Body.String(), -1) {
			a.params.Set(html.UnescapeString(f[1]), html.UnescapeString(f[2]))
		}
		return a
	}
	a.page = true
	return a
}

func (e *env) callback(s started, extra url.Values) answer {
	e.t.Helper()
	q := url.Values{"state": {s.state}, "code": {"idme-code"}}
	for k, v := range extra {
		q[k] = v
	}
	return toRP(e.do("GET", issuer+PathCallback+"?"+q.Encode(), nil, s.cookie))
}

// code runs authorize and callback for params and returns the bridge's code.
func (e *env) code(params url.Values) string {
	e.t.Helper()
	a := e.callback(e.authorize(params), nil)
	if a.params.Get("code") == "" {
		e.t.Fatalf("no code: %+v", a)
	}
	return a.params.Get("code")
}

type tokenAnswer struct {
	status int
	body   map[string]any
	header http.Header
}

func (t tokenAnswer) errCode() string { s, _ := t.body["error"].(string); return s }

func (e *env) token(form url.Values, basicUser, basicPass string) tokenAnswer {
	e.t.Helper()
	r := httptest.NewRequest("POST", issuer+PathToken, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicUser != "" {
		r.SetBasicAuth(basicUser, basicPass)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	var body map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &body)
	return tokenAnswer{status: w.Code, body: body, header: w.Header()}
}

func redeemForm(code, clientID, secret, redirect string) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {clientID},
		"client_secret": {secret}, "redirect_uri": {redirect}}
}

func (e *env) userinfo(accessToken string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", issuer+PathUserinfo, nil)
	r.Header.Set("Authorization", "Bearer "+accessToken)
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

// idToken verifies the bridge's id_token with its own keys and returns the claims.
func (e *env) idToken(raw string) map[string]any {
	e.t.Helper()
	tok, err := jwt.Parse([]byte(raw), jwt.WithKeySet(e.keys.PublicSet(time.Unix(e.clock.Load(), 0))),
		jwt.WithIssuer(issuer), jwt.WithClock(jwt.ClockFunc(func() time.Time { return time.Unix(e.clock.Load(), 0) })))
	if err != nil {
		e.t.Fatalf("id_token does not verify: %v", err)
	}
	m, err := tok.AsMap(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

func (e *env) doHeader(method, target, name, value string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	r.Header.Set(name, value)
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
