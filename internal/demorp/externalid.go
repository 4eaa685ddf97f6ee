package demorp

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"idmebridge/internal/authext/faketenant"
	"idmebridge/internal/entrauser"
	"idmebridge/internal/entrauser/graphfake"
	"idmebridge/internal/htmlpage"
)

// Paths of the External ID mode, below ExternalIDOptions.BaseURL.
const (
	// ExternalIDRedirectPath is where the bridge answers, as External ID's
	// {tenant}.ciamlogin.com/{tenantId}/federation/oauth2 would be.
	ExternalIDRedirectPath = "/federation/oauth2"
	// ExternalIDTenantPath serves the stand-in tenant's discovery and keys: the bridge's
	// EXTERNALID_AUTHORITY.
	ExternalIDTenantPath = "/tenant"
	// ExternalIDGraphPath serves the stand-in Graph: the bridge's EXTERNALID_GRAPH_URL.
	ExternalIDGraphPath = "/graph"
	// externalIDApp is the client id of the application the final token is issued to.
	externalIDApp = "demo-externalid-app"
)

// ExternalIDOptions configure the External ID mode.
type ExternalIDOptions struct {
	// BaseURL is where the mode is served, e.g. http://localhost:7073/externalid.
	BaseURL string
	// Issuer is the bridge's issuer; ClientID and ClientSecret the bridge's client for the
	// (stand-in) External ID tenant.
	Issuer, ClientID, ClientSecret string
	// TenantID is the stand-in tenant's GUID (the bridge's EXTERNALID_TENANT_ID).
	TenantID string
	// ExtensionAppID is the extension's app id: the audience of the bearer token.
	ExtensionAppID string
	// ExtensionURL is the bridge's token issuance start endpoint.
	ExtensionURL string
	HTTPClient   *http.Client
	Logger       *slog.Logger
}

// ExternalID plays Entra External ID's side of both calls: a sign-up against the bridge as a
// custom OIDC provider, then the token issuance start call to the bridge's custom
// authentication extension, with a bearer token its stand-in tenant signs. It shows the token
// External ID would give the application. It serves the stand-in tenant and Graph too.
type ExternalID struct {
	o       ExternalIDOptions
	base    string
	tenant  *faketenant.Tenant
	graph   *graphfake.Graph
	client  *http.Client
	log     *slog.Logger
	pages   *template.Template
	csp     string
	mux     *http.ServeMux
	pending *pendingLogins

	upstreamMu sync.Mutex
	upstream   *upstream
}

// NewExternalID checks the options and returns the mode's handler.
func NewExternalID(o ExternalIDOptions) (*ExternalID, error) {
	base, basePath, err := parseBaseURL(o.BaseURL)
	if err != nil {
		return nil, err
	}
	if err := checkIssuer(o.Issuer); err != nil {
		return nil, err
	}
	if o.ClientID == "" || o.ClientSecret == "" || o.TenantID == "" || o.ExtensionAppID == "" || o.ExtensionURL == "" {
		return nil, errors.New("demorp: ClientID, ClientSecret, TenantID, ExtensionAppID and ExtensionURL are required")
	}
	tenant, err := faketenant.New(o.TenantID, base+ExternalIDTenantPath)
	if err != nil {
		return nil, err
	}
	pages, err := template.New("externalid").Parse(externalIDTemplates)
	if err != nil {
		return nil, fmt.Errorf("demorp: parse pages: %w", err)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	x := &ExternalID{
		o: o, base: base, tenant: tenant, graph: graphfake.New(), client: httpClientWithTimeout(o.HTTPClient),
		log: o.Logger, pages: pages, csp: htmlpage.StyleOnlyCSP(externalIDStyle),
		pending: newPendingLogins(pendingTTL, pendingMax),
	}
	x.mux = http.NewServeMux()
	x.mux.HandleFunc("GET "+basePath+"/{$}", x.handleIndex)
	x.mux.HandleFunc("GET "+basePath+"/login", x.handleLogin)
	x.mux.HandleFunc(basePath+ExternalIDRedirectPath, x.handleAnswer)
	x.mux.Handle(basePath+ExternalIDTenantPath+"/", http.StripPrefix(basePath+ExternalIDTenantPath, tenant))
	x.mux.Handle(basePath+ExternalIDGraphPath+"/", http.StripPrefix(basePath+ExternalIDGraphPath, x.graph))
	return x, nil
}

// ServeHTTP serves the mode's pages, its redirect URI, and the stand-in tenant and Graph.
func (x *ExternalID) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	x.mux.ServeHTTP(w, r)
}

// RedirectURI is the redirect URI to register with the bridge's client.
func (x *ExternalID) RedirectURI() string { return x.base + ExternalIDRedirectPath }

func (x *ExternalID) render(w http.ResponseWriter, status int, name string, data any) {
	htmlpage.Render(w, x.log, x.pages, x.csp, status, name, data)
}

func (x *ExternalID) fail(w http.ResponseWriter, status int, title string, err error) {
	x.log.Warn("External ID demo sign-up failed", "step", title, "err", err)
	x.render(w, status, "eid-error", map[string]string{"Title": title, "Detail": err.Error(), "BaseURL": x.base})
}

func (x *ExternalID) handleIndex(w http.ResponseWriter, r *http.Request) {
	x.render(w, http.StatusOK, "eid-index", map[string]string{
		"Issuer": x.o.Issuer, "ClientID": x.o.ClientID, "RedirectURI": x.RedirectURI(),
		"ExtensionURL": x.o.ExtensionURL, "Login": x.base + "/login",
	})
}

// op discovers the bridge once, as External ID reads the provider's well-known endpoint.
func (x *ExternalID) op(ctx context.Context) (*upstream, error) {
	x.upstreamMu.Lock()
	defer x.upstreamMu.Unlock()
	if x.upstream != nil {
		return x.upstream, nil
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, x.client), outboundTimeout)
	defer cancel()
	provider, err := oidc.NewProvider(ctx, x.o.Issuer)
	if err != nil {
		return nil, fmt.Errorf("discovery at %s: %w", x.o.Issuer, err)
	}
	endpoint := provider.Endpoint()
	endpoint.AuthStyle = oauth2.AuthStyleInParams // External ID: client_secret_post, never basic
	x.upstream = &upstream{
		provider: provider,
		verifier: provider.Verifier(&oidc.Config{ClientID: x.o.ClientID, SupportedSigningAlgs: []string{oidc.RS256}}),
		oauth: oauth2.Config{ClientID: x.o.ClientID, ClientSecret: x.o.ClientSecret, Endpoint: endpoint,
			RedirectURL: x.RedirectURI(), Scopes: []string{oidc.ScopeOpenID, "profile", "email"}},
	}
	return x.upstream, nil
}

func (x *ExternalID) handleLogin(w http.ResponseWriter, r *http.Request) {
	op, err := x.op(r.Context())
	if err != nil {
		x.fail(w, http.StatusBadGateway, "The bridge could not be reached", err)
		return
	}
	state, nonce := rand.Text(), rand.Text()
	x.pending.add(state, pendingLogin{nonce: nonce, scope: "openid profile email", created: time.Now()})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, op.oauth.AuthCodeURL(state, oidc.Nonce(nonce)), http.StatusFound)
}

// handleAnswer is External ID's redirect URI: it takes the answer (query or form_post), then
// does what External ID does after a federated sign-up and before issuing the app's token.
func (x *ExternalID) handleAnswer(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		x.fail(w, http.StatusBadRequest, "Unreadable answer", err)
		return
	}
	login, ok := x.pending.take(r.Form.Get("state"), time.Now())
	if !ok {
		x.fail(w, http.StatusBadRequest, "Unknown or expired sign-up", errors.New("start again from the start page"))
		return
	}
	if code := r.Form.Get("error"); code != "" {
		x.fail(w, http.StatusBadRequest, "The bridge answered with an error", fmt.Errorf("%s: %s", code, r.Form.Get("error_description")))
		return
	}
	op, err := x.op(r.Context())
	if err != nil {
		x.fail(w, http.StatusBadGateway, "The bridge could not be reached", err)
		return
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(r.Context(), x.client), outboundTimeout)
	defer cancel()
	page, status, err := x.complete(ctx, op, login, r.Form.Get("code"))
	if err != nil {
		x.fail(w, status, "External ID would stop here", err)
		return
	}
	x.render(w, http.StatusOK, "eid-result", page)
}

type externalIDPage struct {
	BaseURL                 string
	IDTokenClaims           string
	UserID                  string
	Identities              string
	ExtensionRequest        string
	ExtensionResponse       string
	ExtensionMillis         int64
	ExtensionClaims         int
	FinalClaims, FinalToken string
	ClaimsMappingPolicy     string
}

// complete redeems the code, checks what External ID checks (email present and verified),
// records the user with its federated identity, calls the extension and builds the token.
func (x *ExternalID) complete(ctx context.Context, op *upstream, login pendingLogin, code string) (*externalIDPage, int, error) {
	tok, err := op.oauth.Exchange(ctx, code)
	if err != nil {
		return nil, http.StatusBadGateway, fmt.Errorf("token endpoint (client_secret_post): %w", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := op.verifier.Verify(ctx, raw)
	if err != nil {
		return nil, http.StatusBadGateway, fmt.Errorf("id_token: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(login.nonce)) != 1 {
		return nil, http.StatusBadGateway, errors.New("id_token: the nonce is not the one sent")
	}
	var std map[string]any
	if err := idt.Claims(&std); err != nil {
		return nil, http.StatusBadGateway, err
	}
	if email, _ := std["email"].(string); email == "" {
		return nil, http.StatusForbidden, errors.New("the id_token has no email: External ID requires one to create the account")
	}
	if std["email_verified"] != true {
		return nil, http.StatusForbidden, errors.New("email_verified is not true: External ID does not create an account for an unverified address")
	}

	// External ID creates the user; its identity carries the bridge's issuer and subject.
	userID := newObjectID()
	identity := entrauser.Identity{SignInType: "federated", Issuer: x.o.Issuer, IssuerAssignedID: idt.Subject}
	x.graph.AddUser(userID, identity)

	request, claims, elapsed, err := x.callExtension(ctx, userID)
	if err != nil {
		return nil, http.StatusBadGateway, err
	}
	// The application's claims-mapping policy: standard claims from the user, then every
	// claim the extension returned under its own name (the policy the guide gives).
	final := map[string]any{
		"iss": x.tenant.Issuer(), "aud": externalIDApp, "sub": userID, "oid": userID, "tid": x.o.TenantID,
		"idp": x.o.Issuer, "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(), "ver": "2.0",
	}
	for _, k := range []string{"email", "name", "given_name", "family_name"} {
		if v, ok := std[k]; ok {
			final[k] = v
		}
	}
	for k, v := range claims.Claims {
		final[k] = v
	}
	signed, err := x.tenant.SignClaims(final)
	if err != nil {
		return nil, http.StatusInternalServerError, err
	}
	return &externalIDPage{
		BaseURL: x.base, IDTokenClaims: pretty(std), UserID: userID, Identities: pretty([]entrauser.Identity{identity}),
		ExtensionRequest: pretty(json.RawMessage(request)), ExtensionResponse: pretty(claims.response),
		ExtensionMillis: elapsed.Milliseconds(), ExtensionClaims: len(claims.Claims),
		FinalClaims: pretty(final), FinalToken: signed, ClaimsMappingPolicy: mappingPolicy(claims.Claims),
	}, http.StatusOK, nil
}
