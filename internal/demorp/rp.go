package demorp

import (
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"idmebridge/internal/htmlpage"
)

const (
	redirectPath = "/oauth2/authresp"

	// outboundTimeout bounds every call to the bridge (discovery, token, userinfo, JWKS).
	outboundTimeout = 10 * time.Second
	// maxBodyBytes bounds request bodies; a form_post answer is a code, a state and an issuer.
	maxBodyBytes = 64 << 10

	pendingTTL = 10 * time.Minute
	pendingMax = 1000
)

// RedirectPath is the path, below Options.BaseURL, where the bridge posts its answers; it is the
// same path B2C uses.
func RedirectPath() string { return redirectPath }

// Options configures an RP.
type Options struct {
	// BaseURL is the absolute URL the RP is served at, e.g. http://localhost:7073. Its path, if
	// any, is part of every route: mount the handler without stripping it. The redirect URI
	// registered with the bridge is BaseURL + RedirectPath().
	BaseURL string
	// Issuer is the bridge's issuer; discovery is at Issuer + "/.well-known/openid-configuration".
	Issuer       string
	ClientID     string
	ClientSecret string
	// Choices are the ID.me policies (scopes) offered as sign-in buttons. Each is sent as
	// "openid <choice>"; an extra button sends "openid" alone. A choice of several
	// space-separated communities tries ID.me's groups flow.
	Choices []string
	// DefaultPolicies are what the bridge asks ID.me for when a sign-in asks for openid alone
	// (the client's default_idme_scopes), so the result says what was really requested.
	DefaultPolicies []string
	// B2C, when set, is the shipped policy rendered for this bridge: the result page maps the
	// id_token through its OutputClaims as B2C does, and the verify journey can be tried.
	B2C *B2CPolicy
	// Modes link the start page to the other tenants the demo plays (External ID, a B2C
	// user flow).
	Modes []htmlpage.Link
	// HTTPClient makes the calls to the bridge. nil: a client with a 10s timeout. A client
	// without a timeout is copied and given one.
	HTTPClient *http.Client
	// Logger receives operational events (never tokens or claims). nil: discard.
	Logger *slog.Logger
	// Now is the clock for state expiry and token validation. nil: time.Now.
	Now func() time.Time
}

// RP is the demo relying party. It is an http.Handler; create it with New.
type RP struct {
	baseURL      string // without a trailing slash
	redirectURI  string
	issuer       string
	clientID     string
	clientSecret string
	choices      []string
	defaults     []string
	b2c          *B2CPolicy
	modes        []htmlpage.Link
	client       *http.Client
	log          *slog.Logger
	now          func() time.Time

	pages   *template.Template
	pageCSP string
	mux     *http.ServeMux
	pending *pendingLogins

	// upstreamMu guards upstream, which stays nil until discovery has succeeded once: a bridge
	// that is still starting when the first button is clicked is simply asked again next time.
	upstreamMu sync.Mutex
	upstream   *upstream
}

// New checks the options and returns an RP. It makes no network calls.
func New(o Options) (*RP, error) {
	base, basePath, err := parseBaseAndIssuer(o.BaseURL, o.Issuer)
	if err != nil {
		return nil, err
	}
	if o.ClientID == "" {
		return nil, errors.New("demorp: ClientID is required")
	}
	if o.ClientSecret == "" {
		return nil, errors.New("demorp: ClientSecret is required (client_secret_post)")
	}
	if err := checkChoices(o.Choices); err != nil {
		return nil, err
	}
	pages, err := htmlpage.Parse("demo relying party", pageTemplates)
	if err != nil {
		return nil, err
	}

	rp := &RP{
		baseURL:      base,
		redirectURI:  base + redirectPath,
		issuer:       o.Issuer,
		clientID:     o.ClientID,
		clientSecret: o.ClientSecret,
		choices:      append([]string(nil), o.Choices...),
		defaults:     append([]string(nil), o.DefaultPolicies...),
		b2c:          o.B2C,
		modes:        append([]htmlpage.Link(nil), o.Modes...),
		client:       httpClientWithTimeout(o.HTTPClient),
		log:          o.Logger,
		now:          o.Now,
		pages:        pages,
		pageCSP:      htmlpage.CSP(),
		pending:      newPendingLogins(pendingTTL, pendingMax),
	}
	if rp.log == nil {
		rp.log = slog.New(slog.DiscardHandler)
	}
	if rp.now == nil {
		rp.now = time.Now
	}

	rp.mux = http.NewServeMux()
	rp.mux.HandleFunc("GET "+basePath+"/{$}", rp.handleIndex)
	rp.mux.HandleFunc("GET "+basePath+"/login", rp.handleLogin)
	rp.mux.HandleFunc("GET "+basePath+"/verify", rp.handleVerifyStep)
	rp.mux.HandleFunc("POST "+basePath+redirectPath, rp.handleAuthResponse)
	return rp, nil
}

// ServeHTTP serves the start page (GET /), starts a sign-in (GET /login?policy=X) and receives
// the bridge's form_post answer (POST /oauth2/authresp), all below BaseURL's path.
func (rp *RP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	rp.mux.ServeHTTP(w, r)
}

// parseBaseURL returns BaseURL without a trailing slash, and its path for routing.
func parseBaseURL(raw string) (base, path string, err error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", fmt.Errorf("demorp: BaseURL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", "", fmt.Errorf("demorp: BaseURL %q must be an absolute http(s) URL", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", "", fmt.Errorf("demorp: BaseURL %q must not carry a query, fragment or user info", raw)
	}
	path = strings.TrimSuffix(u.Path, "/")
	// The path becomes part of ServeMux patterns, where braces and spaces mean something.
	if strings.ContainsAny(path, "{} \t") || u.RawPath != "" {
		return "", "", fmt.Errorf("demorp: BaseURL path %q must be plain", u.Path)
	}
	return strings.TrimSuffix(raw, "/"), path, nil
}

// parseBaseAndIssuer checks the base URL and the bridge's issuer every handler here takes.
func parseBaseAndIssuer(baseURL, issuer string) (base, path string, err error) {
	if base, path, err = parseBaseURL(baseURL); err != nil {
		return "", "", err
	}
	return base, path, checkIssuer(issuer)
}

func checkIssuer(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("demorp: Issuer: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("demorp: Issuer %q must be an absolute http(s) URL without query or fragment", raw)
	}
	return nil
}

// checkChoices accepts one or more scope tokens (RFC 6749 section 3.3) per choice, separated
// by single spaces, and each choice once.
func checkChoices(choices []string) error {
	seen := make(map[string]bool, len(choices))
	for _, c := range choices {
		tokens := strings.Split(c, " ")
		if c == "" || slices.Contains(tokens, "openid") {
			return fmt.Errorf("demorp: choice %q: openid is always sent; list only the ID.me policy", c)
		}
		for _, tok := range tokens {
			if tok == "" {
				return fmt.Errorf("demorp: choice %q: separate policies with single spaces", c)
			}
			for _, r := range tok {
				if r < 0x21 || r > 0x7e || r == '"' || r == '\\' {
					return fmt.Errorf("demorp: choice %q is not a scope token", c)
				}
			}
		}
		if seen[c] {
			return fmt.Errorf("demorp: choice %q listed twice", c)
		}
		seen[c] = true
	}
	return nil
}

func httpClientWithTimeout(c *http.Client) *http.Client {
	if c == nil {
		return &http.Client{Timeout: outboundTimeout}
	}
	if c.Timeout == 0 {
		copied := *c
		copied.Timeout = outboundTimeout
		return &copied
	}
	return c
}
