// Package idmesim is a stand-in for ID.me: the same endpoints, parameters and JSON shapes as
// ID.me's OAuth/OIDC service, with a fixed cast of personas instead of real people. It backs
// the bridge's local dev mode and its end-to-end tests, so it keeps ID.me's sharp edges
// (single-use codes and access tokens, userinfo as a JWT, group status only in attributes.json,
// loosely typed JSON, and no way through for someone who has not satisfied the requested
// policy) rather than smoothing them over.
package idmesim

import (
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"idmebridge/internal/htmlpage"
)

// Client is an application registered with the simulator.
type Client struct {
	ID, Secret string
	// RedirectURIs are matched exactly, as ID.me does; they also serve as the allowed
	// post-logout destinations.
	RedirectURIs []string
}

// Options configures a Simulator.
type Options struct {
	// BaseURL is the absolute URL the simulator is served at, e.g. http://127.0.0.1:9001.
	// The issuer is BaseURL+"/oidc". A path (http://127.0.0.1:8080/idme) mounts every
	// endpoint under that path.
	BaseURL string
	Clients []Client
	Now     func() time.Time // nil: time.Now
	Logger  *slog.Logger     // nil: discard
	// RootLinks are added to the page at the simulator's root URL (dev mode links the demo).
	RootLinks []htmlpage.Link
	// SigningAlg signs id_tokens and userinfo: RS256 (the default) or ES256, both of which
	// ID.me advertises. ES256 makes the simulator a light partner for load tests.
	SigningAlg string
}

// Lifetimes ID.me documents: codes live 5 minutes, access tokens expire_in 300 seconds.
const (
	codeTTL        = 5 * time.Minute
	accessTokenTTL = 300 * time.Second
)

// Simulator is an http.Handler that answers like ID.me. It is safe for concurrent use.
type Simulator struct {
	base     string // BaseURL without a trailing slash
	issuer   string
	clients  map[string]Client
	personas map[string]Persona
	order    []string // persona IDs in presentation order
	now      func() time.Time
	log      *slog.Logger
	signer   *signer
	pages    *template.Template
	pageCSP  string
	mux      *http.ServeMux
	grants   *grantStore
	// discovery is the encoded discovery document, the same for every request.
	discovery []byte
}

// New builds a Simulator with a fresh signing key.
func New(opts Options) (*Simulator, error) {
	base, path, err := parseBaseURL(opts.BaseURL)
	if err != nil {
		return nil, err
	}
	clients, err := indexClients(opts.Clients)
	if err != nil {
		return nil, err
	}
	sg, err := newSigner(opts.SigningAlg)
	if err != nil {
		return nil, err
	}
	pages, err := htmlpage.Parse("ID.me simulator", pageTemplates)
	if err != nil {
		return nil, err
	}
	s := &Simulator{
		base:     base,
		issuer:   base + "/oidc",
		clients:  clients,
		personas: make(map[string]Persona),
		now:      opts.Now,
		log:      opts.Logger,
		signer:   sg,
		pages:    pages,
		pageCSP:  htmlpage.CSP(),
		grants:   newGrantStore(),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	for _, p := range Personas() {
		s.personas[p.ID] = p
		s.order = append(s.order, p.ID)
	}
	if s.discovery, err = s.encodeDiscovery(); err != nil {
		return nil, err
	}
	s.mux = s.routes(path, opts.RootLinks)
	return s, nil
}

// PathGroups is where, below BaseURL, the simulator serves ID.me's groups page (production's
// https://groups.id.me): give a bridge IDME_GROUPS_URL=BaseURL+PathGroups to try the groups flow.
const PathGroups = "/groups"

// Issuer is the OIDC issuer the simulator puts in id_tokens and discovery.
func (s *Simulator) Issuer() string { return s.issuer }

// ServeHTTP dispatches to ID.me's endpoints.
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

func (s *Simulator) routes(prefix string, rootLinks []htmlpage.Link) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET "+prefix+"/{$}", s.rootPage(rootLinks))
	mux.HandleFunc("GET "+prefix+"/oauth/authorize", s.handleAuthorize)
	mux.HandleFunc("GET "+prefix+PathGroups, s.handleGroups)
	mux.HandleFunc("POST "+prefix+"/oauth/token", s.handleToken)
	mux.HandleFunc("GET "+prefix+"/oauth/logout", s.handleLogout)
	mux.HandleFunc("GET "+prefix+"/oidc/.well-known/openid-configuration", s.handleDiscovery)
	mux.HandleFunc("GET "+prefix+"/oidc/.well-known/jwks", s.handleJWKS)
	mux.HandleFunc("GET "+prefix+"/api/public/v3/attributes.json", s.handleAttributes)
	mux.HandleFunc("GET "+prefix+"/api/public/v3/userinfo", s.handleUserinfo)
	return mux
}

// parseBaseURL returns the base URL without a trailing slash and its path (the mount prefix).
func parseBaseURL(raw string) (base, path string, err error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", fmt.Errorf("idmesim: BaseURL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", "", fmt.Errorf("idmesim: BaseURL %q must be an absolute http(s) URL", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", "", fmt.Errorf("idmesim: BaseURL %q must not carry a query, fragment or user info", raw)
	}
	path = strings.TrimRight(u.Path, "/")
	return u.Scheme + "://" + u.Host + path, path, nil
}

func indexClients(list []Client) (map[string]Client, error) {
	if len(list) == 0 {
		return nil, errors.New("idmesim: at least one client is required")
	}
	clients := make(map[string]Client, len(list))
	for _, c := range list {
		if c.ID == "" || c.Secret == "" {
			return nil, errors.New("idmesim: every client needs an ID and a secret")
		}
		if _, dup := clients[c.ID]; dup {
			return nil, fmt.Errorf("idmesim: client %q registered twice", c.ID)
		}
		if len(c.RedirectURIs) == 0 {
			return nil, fmt.Errorf("idmesim: client %q has no redirect URI", c.ID)
		}
		for _, ru := range c.RedirectURIs {
			u, err := url.Parse(ru)
			if err != nil {
				return nil, fmt.Errorf("idmesim: client %q redirect URI: %w", c.ID, err)
			}
			// ID.me refuses relative URIs, fragments and query parameters in registrations
			// (correlation travels in state only), so the simulator refuses them too.
			if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" || strings.Contains(ru, "#") {
				return nil, fmt.Errorf("idmesim: client %q redirect URI %q must be an absolute http(s) URL without a fragment", c.ID, ru)
			}
			if u.RawQuery != "" || strings.Contains(ru, "?") {
				return nil, fmt.Errorf("idmesim: client %q redirect URI %q must not carry a query: ID.me refuses query parameters in redirect URIs", c.ID, ru)
			}
		}
		// Copy so later changes to the caller's slice cannot widen the registration.
		c.RedirectURIs = append([]string(nil), c.RedirectURIs...)
		clients[c.ID] = c
	}
	return clients, nil
}

// client returns the registered client with this ID.
func (s *Simulator) client(id string) (Client, bool) {
	c, ok := s.clients[id]
	return c, ok
}

func (c Client) allowsRedirect(uri string) bool {
	for _, r := range c.RedirectURIs {
		if r == uri {
			return true
		}
	}
	return false
}
