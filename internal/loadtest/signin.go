package loadtest

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

// Target is the bridge a sign-in is driven against, and the relying party (a B2C tenant)
// the driver plays toward it.
type Target struct {
	// Bridge is the bridge's issuer URL; its endpoints come from its discovery document.
	Bridge       string
	ClientID     string
	ClientSecret string
	// RedirectURI is the client's registered redirect URI. It is never contacted: the driver
	// reads the form_post page the bridge answers with instead of submitting it.
	RedirectURI string
	// Scope is what the relying party asks for, e.g. "openid military".
	Scope string
	// Persona is who signs in at the ID.me simulator.
	Persona string
}

// Step is one leg of a sign-in.
type Step int

// The legs of a sign-in, in order.
const (
	StepAuthorize Step = iota // browser -> bridge /authorize, answered with a redirect to ID.me
	StepIDme                  // browser -> ID.me (the simulator), answered with a redirect to the callback
	StepCallback              // browser -> bridge /callback: the bridge calls ID.me, answers with form_post
	StepToken                 // relying party -> bridge /token: the id_token
	numSteps
)

func (s Step) String() string {
	return [...]string{"authorize", "idme", "callback", "token"}[s]
}

// Timings are the wall times of one sign-in's steps.
type Timings [numSteps]time.Duration

// requestTimeout bounds every request the driver makes.
const requestTimeout = 10 * time.Second

// readyWait is how long the driver waits for the bridge to answer its discovery document.
const readyWait = 20 * time.Second

// Driver performs whole sign-ins, each as a new browser (its own cookies) plus the relying
// party's back-channel token call.
type Driver struct {
	target    Target
	issuer    string
	authorize string
	token     string
	keys      jwk.Set
	transport *http.Transport
	idmeHost  atomic.Pointer[string] // host:port of the ID.me the bridge sent the browser to
}

// NewDriver reads the bridge's discovery document and keys. Every URL involved must be on
// loopback. conns sizes the connection pool (one per virtual user is right).
func NewDriver(ctx context.Context, t Target, conns int) (*Driver, error) {
	return newDriver(ctx, t, conns, (&net.Dialer{Timeout: 5 * time.Second}).DialContext)
}

// newDriver is NewDriver with the dialler its connections go through (behind the loopback
// check), which tests replace to see what would have been dialled.
func newDriver(ctx context.Context, t Target, conns int, dial dialFunc) (*Driver, error) {
	if _, err := checkLoopback("bridge", t.Bridge); err != nil {
		return nil, err
	}
	if t.ClientID == "" || t.ClientSecret == "" || t.RedirectURI == "" {
		return nil, errors.New("client id, client secret and redirect URI are required")
	}
	if t.Scope == "" {
		t.Scope = "openid"
	}
	if t.Persona == "" {
		t.Persona = "veteran"
	}
	tr := &http.Transport{
		// Refuse at the socket too, whatever a URL or redirect said.
		DialContext:         loopbackOnly(dial),
		MaxIdleConns:        4 * max(conns, 1),
		MaxIdleConnsPerHost: 2 * max(conns, 1),
		IdleConnTimeout:     30 * time.Second,
		Proxy:               nil,
	}
	d := &Driver{target: t, transport: tr}
	client := &http.Client{Transport: tr, Timeout: requestTimeout}
	var meta struct {
		Issuer    string `json:"issuer"`
		Authorize string `json:"authorization_endpoint"`
		Token     string `json:"token_endpoint"`
		JWKS      string `json:"jwks_uri"`
	}
	// A bridge that has just started (or waits for its storage) answers 503 for a moment.
	discovery := strings.TrimRight(t.Bridge, "/") + "/.well-known/openid-configuration"
	for deadline := time.Now().Add(readyWait); ; {
		err := getJSON(ctx, client, discovery, &meta)
		if err == nil {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, fmt.Errorf("bridge discovery: %w", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for what, u := range map[string]string{"authorization_endpoint": meta.Authorize, "token_endpoint": meta.Token, "jwks_uri": meta.JWKS} {
		if _, err := checkLoopback(what, u); err != nil {
			return nil, err
		}
	}
	d.issuer, d.authorize, d.token = meta.Issuer, meta.Authorize, meta.Token
	var raw json.RawMessage
	if err := getJSON(ctx, client, meta.JWKS, &raw); err != nil {
		return nil, fmt.Errorf("bridge JWKS: %w", err)
	}
	keys, err := jwk.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("bridge JWKS: %w", err)
	}
	d.keys = keys
	return d, nil
}

// IDmeHost is the host:port of the ID.me the bridge sends browsers to, once a sign-in has
// got that far.
func (d *Driver) IDmeHost() string {
	if h := d.idmeHost.Load(); h != nil {
		return *h
	}
	return ""
}

// Close releases the driver's idle connections.
func (d *Driver) Close() { d.transport.CloseIdleConnections() }

// SignIn performs one whole sign-in and checks the id_token it ends with.
func (d *Driver) SignIn(ctx context.Context) (Timings, error) {
	var tm Timings
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{
		Transport: d.transport, Jar: jar, Timeout: requestTimeout,
		// Redirects are followed by hand, to time each leg and check where they lead.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	state, nonce := rand.Text(), rand.Text()
	q := url.Values{
		"client_id": {d.target.ClientID}, "redirect_uri": {d.target.RedirectURI}, "response_type": {"code"},
		"scope": {d.target.Scope}, "state": {state}, "nonce": {nonce}, "response_mode": {"form_post"},
	}

	start := time.Now()
	idmeURL, err := redirectOf(ctx, browser, d.authorize+"?"+q.Encode())
	tm[StepAuthorize] = time.Since(start)
	if err != nil {
		return tm, fmt.Errorf("%s: %w", StepAuthorize, err)
	}

	host := idmeURL.Host
	d.idmeHost.Store(&host)
	start = time.Now()
	callbackURL, err := d.atIDme(ctx, browser, idmeURL)
	tm[StepIDme] = time.Since(start)
	if err != nil {
		return tm, fmt.Errorf("%s: %w", StepIDme, err)
	}

	start = time.Now()
	form, err := d.callback(ctx, browser, callbackURL)
	tm[StepCallback] = time.Since(start)
	if err != nil {
		return tm, fmt.Errorf("%s: %w", StepCallback, err)
	}
	switch {
	case form.Get("error") != "":
		return tm, fmt.Errorf("%s: the bridge answered %s", StepCallback, form.Get("error"))
	case form.Get("state") != state:
		return tm, fmt.Errorf("%s: state did not come back unchanged", StepCallback)
	case form.Get("code") == "":
		return tm, fmt.Errorf("%s: no code", StepCallback)
	}

	start = time.Now()
	err = d.redeem(ctx, form.Get("code"), nonce)
	tm[StepToken] = time.Since(start)
	if err != nil {
		return tm, fmt.Errorf("%s: %w", StepToken, err)
	}
	return tm, nil
}

// atIDme plays the user at the simulator: the persona is picked in the authorize request (a
// picker page, if the simulator shows one anyway, is followed by its link).
func (d *Driver) atIDme(ctx context.Context, browser *http.Client, authorize *url.URL) (*url.URL, error) {
	q := authorize.Query()
	q.Set("persona", d.target.Persona)
	authorize.RawQuery = q.Encode()
	resp, err := do(ctx, browser, http.MethodGet, authorize.String(), nil)
	if err != nil {
		return nil, err
	}
	defer drain(resp)
	if resp.StatusCode == http.StatusOK {
		href, ok := personaLink(io.LimitReader(resp.Body, 1<<20), d.target.Persona)
		if !ok {
			return nil, fmt.Errorf("the simulator showed a page without persona %q", d.target.Persona)
		}
		next, err := authorize.Parse(href)
		if err != nil {
			return nil, err
		}
		if _, err := checkLoopback("persona link", next.String()); err != nil {
			return nil, err
		}
		return redirectOf(ctx, browser, next.String())
	}
	return location(resp)
}

// callback returns the fields the bridge posts back to the relying party.
func (d *Driver) callback(ctx context.Context, browser *http.Client, u *url.URL) (url.Values, error) {
	resp, err := do(ctx, browser, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	defer drain(resp)
	if resp.StatusCode != http.StatusOK {
		return nil, statusError(resp)
	}
	f, err := parseFormPost(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if f.Action != d.target.RedirectURI {
		return nil, fmt.Errorf("form_post goes to %q, not the redirect URI", f.Action)
	}
	return f.Fields, nil
}

// redeem is the relying party's token request (client_secret_post, as B2C sends it).
func (d *Driver) redeem(ctx context.Context, code, nonce string) error {
	form := url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {d.target.RedirectURI},
		"client_id": {d.target.ClientID}, "client_secret": {d.target.ClientSecret},
	}
	client := &http.Client{Transport: d.transport, Timeout: requestTimeout}
	resp, err := do(ctx, client, http.MethodPost, d.token, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	defer drain(resp)
	if resp.StatusCode != http.StatusOK {
		return statusError(resp)
	}
	var body struct {
		IDToken string `json:"id_token"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body); err != nil {
		return fmt.Errorf("token response: %w", err)
	}
	tok, err := jwt.Parse([]byte(body.IDToken), jwt.WithKeySet(d.keys), jwt.WithIssuer(d.issuer),
		jwt.WithAudience(d.target.ClientID), jwt.WithValidate(true))
	if err != nil {
		return fmt.Errorf("id_token: %w", err)
	}
	if got, _ := tok.Get("nonce"); got != nonce {
		return errors.New("id_token: nonce does not match")
	}
	return nil
}

// redirectOf GETs u and returns where its redirect leads.
func redirectOf(ctx context.Context, c *http.Client, u string) (*url.URL, error) {
	resp, err := do(ctx, c, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	defer drain(resp)
	return location(resp)
}

func location(resp *http.Response) (*url.URL, error) {
	if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther {
		return nil, statusError(resp)
	}
	loc, err := resp.Location()
	if err != nil {
		return nil, fmt.Errorf("redirect: %w", err)
	}
	if err := checkRedirect(loc); err != nil {
		return nil, err
	}
	return loc, nil
}

func do(ctx context.Context, c *http.Client, method, u string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return c.Do(req)
}

func getJSON(ctx context.Context, c *http.Client, u string, v any) error {
	resp, err := do(ctx, c, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	defer drain(resp)
	if resp.StatusCode != http.StatusOK {
		return statusError(resp)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v)
}

// statusError describes an unexpected answer by its status and OAuth error code, if any.
func statusError(resp *http.Response) error {
	var oe struct {
		Error string `json:"error"`
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	_ = json.Unmarshal(body, &oe)
	if oe.Error != "" {
		return fmt.Errorf("HTTP %d %s", resp.StatusCode, oe.Error)
	}
	return fmt.Errorf("HTTP %d", resp.StatusCode)
}

// drain reads what is left of a body so its connection can be reused.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
}
