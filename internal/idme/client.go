package idme

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// Options configure a Client.
type Options struct {
	Environment Environment
	ClientID    string
	// ClientSecret returns the current client secret (read per exchange, so a rotated secret
	// is picked up without a restart).
	ClientSecret func(ctx context.Context) (string, error)
	// RedirectURL is the bridge's one callback URL registered at ID.me.
	RedirectURL string
	// GroupsURL, when set, is used instead of /oauth/authorize when several community scopes
	// are requested at once (ID.me's groups page, production only).
	GroupsURL string
	// Timeout bounds every call to ID.me.
	Timeout time.Duration
	// HTTPClient may carry a custom transport (tests); its Timeout is overridden by Timeout.
	// Without one, the bridge's tuned shared transport is used.
	HTTPClient *http.Client
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
}

// Client talks to one ID.me application. It is safe for concurrent use.
type Client struct {
	opts Options
	http *http.Client // discovery and JWKS: safe to resend
	once *http.Client // code exchange and data call: never resent

	mu       sync.Mutex
	verifier *oidc.IDTokenVerifier // set on first successful discovery
	keySet   *oidc.RemoteKeySet    // the verifier's keys, for Prepare

	jwksFailure atomic.Int64 // unix nanoseconds of the last failed JWKS fetch
}

// New returns a Client. Discovery of ID.me's OIDC metadata happens in Prepare or on first use,
// so the bridge starts even while ID.me is unreachable.
func New(opts Options) (*Client, error) {
	if opts.ClientID == "" || opts.ClientSecret == nil || opts.RedirectURL == "" {
		return nil, fmt.Errorf("ID.me client: client id, secret and redirect URL are required")
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	var base http.RoundTripper = newTransport(opts.Timeout)
	if opts.HTTPClient != nil && opts.HTTPClient.Transport != nil {
		base = opts.HTTPClient.Transport
	}
	// Never follow redirects on API calls: a redirect from a token or data endpoint is an error.
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Client{
		opts: opts,
		http: &http.Client{Timeout: opts.Timeout, Transport: base, CheckRedirect: noRedirect},
		// No Client.Timeout here: each call bounds itself with a context deadline (withTimeout),
		// which also covers reading the body, and a Client.Timeout would cost every sign-in two
		// goroutines and a timer per call for the same bound.
		once: &http.Client{Transport: singleUse{base}, CheckRedirect: noRedirect},
	}, nil
}

// AuthorizeRequest is what the bridge asks of ID.me for one sign-in.
type AuthorizeRequest struct {
	Scopes        []string
	State         string
	Nonce         string
	CodeChallenge string // S256
	// Prompt ("login") and MaxAge (seconds, nil for none) ask ID.me for a fresh authentication;
	// the bridge checks ID.me's auth_time afterwards rather than trusting that it complied.
	Prompt string
	MaxAge *int
}

// communityScopes are ID.me policies that verify membership of a group, as opposed to identity
// policies; only these can be combined on the groups page.
var communityScopes = map[string]bool{
	"military": true, "responder": true, "first_responder": true, "student": true, "teacher": true,
	"government": true, "employee": true, "hospital_employee": true, "alumni": true, "nurse": true,
	"medical": true,
}

// AuthorizeURL returns where to send the browser.
func (c *Client) AuthorizeURL(r AuthorizeRequest) string {
	q := url.Values{}
	q.Set("client_id", c.opts.ClientID)
	q.Set("redirect_uri", c.opts.RedirectURL)
	q.Set("response_type", "code")
	q.Set("state", r.State)
	if r.Nonce != "" {
		q.Set("nonce", r.Nonce)
	}
	if r.CodeChallenge != "" {
		q.Set("code_challenge", r.CodeChallenge)
		q.Set("code_challenge_method", "S256")
	}
	if r.Prompt != "" {
		q.Set("prompt", r.Prompt)
	}
	if r.MaxAge != nil {
		q.Set("max_age", strconv.Itoa(*r.MaxAge))
	}
	var community, other []string
	for _, s := range r.Scopes {
		if communityScopes[strings.TrimSuffix(s, "_canada")] {
			community = append(community, s)
		} else {
			other = append(other, s)
		}
	}
	if c.opts.GroupsURL != "" && len(community) > 1 {
		// The groups page takes the communities as "scopes", plural and comma separated;
		// openid and any identity policy stay in "scope".
		q.Set("scopes", strings.Join(community, ","))
		q.Set("scope", strings.Join(other, " "))
		return c.opts.GroupsURL + "?" + q.Encode()
	}
	q.Set("scope", strings.Join(r.Scopes, " "))
	return c.opts.Environment.BaseURL + "/oauth/authorize?" + q.Encode()
}

// LogoutURL returns ID.me's logout URL that comes back to redirectURL.
func (c *Client) LogoutURL(redirectURL string) string {
	q := url.Values{"client_id": {c.opts.ClientID}, "redirect_uri": {redirectURL}}
	return c.opts.Environment.BaseURL + "/oauth/logout?" + q.Encode()
}

func (c *Client) now() time.Time {
	if c.opts.Now != nil {
		return c.opts.Now()
	}
	return time.Now()
}

func (c *Client) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, c.opts.Timeout)
}
