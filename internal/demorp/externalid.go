package demorp

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"idmebridge/internal/authext/faketenant"
	"idmebridge/internal/entrauser"
	"idmebridge/internal/entrauser/graphfake"
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
	tenantPages
	o      ExternalIDOptions
	tenant *faketenant.Tenant
	graph  *graphfake.Graph
	client *http.Client
	mux    *http.ServeMux
	fed    *federation
}

// NewExternalID checks the options and returns the mode's handler.
func NewExternalID(o ExternalIDOptions) (*ExternalID, error) {
	if o.ClientID == "" || o.ClientSecret == "" || o.TenantID == "" || o.ExtensionAppID == "" || o.ExtensionURL == "" {
		return nil, errors.New("demorp: ClientID, ClientSecret, TenantID, ExtensionAppID and ExtensionURL are required")
	}
	pages, basePath, err := newTenantPages(o.BaseURL, o.Issuer, "externalid", externalIDTemplates, o.Logger)
	if err != nil {
		return nil, err
	}
	base := pages.base
	tenant, err := faketenant.New(o.TenantID, base+ExternalIDTenantPath)
	if err != nil {
		return nil, err
	}
	client := httpClientWithTimeout(o.HTTPClient)
	x := &ExternalID{
		tenantPages: pages, o: o, tenant: tenant, graph: graphfake.New(), client: client,
		fed: newFederation(o.Issuer, o.ClientID, o.ClientSecret, base+ExternalIDRedirectPath, client),
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
func (x *ExternalID) RedirectURI() string { return x.fed.redirectURI }

func (x *ExternalID) handleIndex(w http.ResponseWriter, r *http.Request) {
	x.render(w, http.StatusOK, "eid-index", map[string]string{
		"Issuer": x.o.Issuer, "ClientID": x.o.ClientID, "RedirectURI": x.RedirectURI(),
		"ExtensionURL": x.o.ExtensionURL, "Login": x.base + "/login",
	})
}

func (x *ExternalID) handleLogin(w http.ResponseWriter, r *http.Request) {
	if err := x.fed.login(w, r, "openid profile email"); err != nil {
		x.fail(w, &stop{http.StatusBadGateway, "The bridge could not be reached", err})
	}
}

// handleAnswer is External ID's redirect URI: it takes the answer (query or form_post), then
// does what External ID does after a federated sign-up and before issuing the app's token.
func (x *ExternalID) handleAnswer(w http.ResponseWriter, r *http.Request) {
	x.fed.finish(w, r, x.tenantPages, "External ID would stop here", "eid-result", func(ctx context.Context, in *signedIn) (any, *stop) {
		page, status, err := x.complete(ctx, in.idToken.Subject, in.claims)
		if err != nil {
			return nil, &stop{status, "External ID would stop here", err}
		}
		return page, nil
	})
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

// complete checks what External ID checks (email present and verified), records the user
// with its federated identity, calls the extension and builds the token.
func (x *ExternalID) complete(ctx context.Context, subject string, std map[string]any) (*externalIDPage, int, error) {
	if email, _ := std["email"].(string); email == "" {
		return nil, http.StatusForbidden, errors.New("the id_token has no email: External ID requires one to create the account")
	}
	if std["email_verified"] != true {
		return nil, http.StatusForbidden, errors.New("email_verified is not true: External ID does not create an account for an unverified address")
	}

	// External ID creates the user; its identity carries the bridge's issuer and subject.
	userID := newObjectID()
	identity := entrauser.Identity{SignInType: "federated", Issuer: x.o.Issuer, IssuerAssignedID: subject}
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
