package demorp

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"golang.org/x/oauth2"
)

// Paths and names of the B2C user-flow mode, below UserFlowOptions.BaseURL.
const (
	// UserFlowRedirectPath is where the bridge answers, as B2C's
	// https://{tenant}.b2clogin.com/{tenant}.onmicrosoft.com/oauth2/authresp would (Learn:
	// identity-provider-generic-openid-connect, "For the Redirect URI, enter
	// https://your-B2C-tenant-name.b2clogin.com/your-B2C-tenant-name.onmicrosoft.com/oauth2/authresp").
	UserFlowRedirectPath = "/oauth2/authresp"
	// userFlowApp is the client id of the application the user flow's token is issued to.
	userFlowApp = "00000000-0000-4000-8000-0000000b2c01"
	// userFlowName is the user flow's name, the tfp claim of its tokens.
	userFlowName = "B2C_1_signupsignin"
	// userFlowScope is the Scope of the OpenID Connect identity provider. Without an ID.me
	// policy in it the bridge asks ID.me for the client's default.
	userFlowScope = "openid profile email"
)

// UserFlowOptions configure the B2C user-flow mode.
type UserFlowOptions struct {
	// BaseURL is where the mode is served, e.g. http://localhost:7073/userflow.
	BaseURL string
	// Issuer is the bridge's issuer; ClientID and ClientSecret the bridge's client for the
	// (stand-in) B2C tenant.
	Issuer, ClientID, ClientSecret string
	// ConnectorURL is the bridge's API connector endpoint; ConnectorPassword the Basic
	// password of the API connector (the user name is ClientID).
	ConnectorURL, ConnectorPassword string
	// Policies are ID.me policies offered as the identity provider's Scope beside the
	// default one, which names none (the bridge then asks for the client's default).
	Policies   []string
	HTTPClient *http.Client
	Logger     *slog.Logger
}

// UserFlow plays an Azure AD B2C user flow whose identity provider is the bridge: it signs in
// through the bridge as a generic OpenID Connect provider (code flow, form_post,
// client_secret_post), keeps the five claims a user flow's claims mapping can take, gives the
// user an object id and the federated identity, calls the bridge's API connector at "Before
// sending the token" as B2C does, and shows the token the application would receive.
type UserFlow struct {
	tenantPages
	o      UserFlowOptions
	client *http.Client
	routes http.Handler
	fed    *federation
}

// NewUserFlow checks the options and returns the mode's handler.
func NewUserFlow(o UserFlowOptions) (*UserFlow, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	pages, basePath, err := newTenantPages(o.BaseURL, o.Issuer, "userflow", userFlowTemplates, o.Logger)
	if err != nil {
		return nil, err
	}
	client := httpClientWithTimeout(o.HTTPClient)
	u := &UserFlow{tenantPages: pages, o: o, client: client,
		// A user flow's OpenID Connect provider answers by form_post or query (Graph
		// openIdConnectIdentityProvider, responseMode: "Possible values: form_post, query");
		// form_post, as B2C's custom policies use by default, keeps the code out of the URL.
		fed: newFederation(o.Issuer, o.ClientID, o.ClientSecret, pages.base+UserFlowRedirectPath, client,
			oauth2.SetAuthURLParam("response_mode", "form_post"))}
	u.routes = routes(map[string]http.HandlerFunc{
		"GET " + basePath + "/{$}": u.handleIndex, "GET " + basePath + "/login": u.handleLogin,
		"POST " + basePath + UserFlowRedirectPath: u.handleAnswer,
	})
	return u, nil
}

func (o UserFlowOptions) check() error {
	if o.ClientID == "" || o.ClientSecret == "" || o.ConnectorURL == "" || o.ConnectorPassword == "" {
		return errors.New("demorp: ClientID, ClientSecret, ConnectorURL and ConnectorPassword are required")
	}
	if len(o.Policies) > 0 {
		return checkChoices(o.Policies)
	}
	return nil
}

// ServeHTTP serves the mode's pages and its redirect URI.
func (u *UserFlow) ServeHTTP(w http.ResponseWriter, r *http.Request) { u.routes.ServeHTTP(w, r) }

// scopes are the identity provider scopes offered: the default one first.
func (u *UserFlow) scopes() []string {
	out := []string{userFlowScope}
	for _, p := range u.o.Policies {
		out = append(out, userFlowScope+" "+p)
	}
	return out
}

// RedirectURI is the redirect URI to register with the bridge's client.
func (u *UserFlow) RedirectURI() string { return u.base + UserFlowRedirectPath }

type userFlowButton struct{ Href, Scope string }

func (u *UserFlow) handleIndex(w http.ResponseWriter, r *http.Request) {
	var buttons []userFlowButton
	for i, s := range u.scopes() {
		href := u.base + "/login"
		if i > 0 {
			href += "?policy=" + u.o.Policies[i-1]
		}
		buttons = append(buttons, userFlowButton{Href: href, Scope: s})
	}
	u.render(w, http.StatusOK, "uf-index", map[string]any{
		"Issuer": u.o.Issuer, "ClientID": u.o.ClientID, "RedirectURI": u.RedirectURI(),
		"ConnectorURL": u.o.ConnectorURL, "Buttons": buttons, "Mapping": pretty(claimsMapping),
	})
}

func (u *UserFlow) handleLogin(w http.ResponseWriter, r *http.Request) {
	scope := userFlowScope
	if p := r.URL.Query().Get("policy"); p != "" {
		scope += " " + p
	}
	if !slices.Contains(u.scopes(), scope) {
		u.fail(w, &stop{http.StatusBadRequest, "No such identity provider", errors.New("the policy is not one this page offers")})
		return
	}
	if err := u.fed.login(w, r, scope); err != nil {
		u.fail(w, &stop{http.StatusBadGateway, "The bridge could not be reached", err})
	}
}

// handleAnswer is B2C's redirect URI: it takes the form_post answer, then does what B2C does
// before it issues the application's token.
func (u *UserFlow) handleAnswer(w http.ResponseWriter, r *http.Request) {
	u.fed.finish(w, r, u.tenantPages, "B2C would stop here", "uf-result", func(ctx context.Context, in *signedIn) (any, *stop) {
		return u.complete(ctx, in.scope, in.claims)
	})
}

// claimsMapping is the identity provider's claims mapping (Graph claimsMapping: userId,
// displayName, givenName, surname, email; the portal's User ID, Display name, Given name,
// Surname, Email), filled in with the names of the bridge's id_token claims.
var claimsMapping = map[string]string{
	"userId": "sub", "displayName": "name", "givenName": "given_name", "surname": "family_name", "email": "email",
}

// mapped is what the claims mapping keeps of the id_token: the five fields, nothing else
// (Graph claimsMapping lists no other property).
type mapped struct {
	UserID, DisplayName, GivenName, Surname, Email string
}

func mapClaims(std map[string]any) (mapped, []string) {
	str := func(field string) string { v, _ := std[claimsMapping[field]].(string); return v }
	m := mapped{UserID: str("userId"), DisplayName: str("displayName"), GivenName: str("givenName"), Surname: str("surname"), Email: str("email")}
	var dropped []string
	for _, name := range claimNames(std) {
		kept := false
		for _, c := range claimsMapping {
			kept = kept || c == name
		}
		if !kept {
			dropped = append(dropped, name)
		}
	}
	return m, dropped
}

type userFlowPage struct {
	BaseURL, Scope    string
	IDTokenClaims     string
	Dropped           []string
	Mapped            string
	ObjectID          string
	Identities        string
	ConnectorRequest  string
	ConnectorAuth     string
	ConnectorResponse string
	ConnectorStatus   int
	ConnectorMillis   int64
	ExtensionClaims   []string
	FinalClaims       string
}

// complete does what B2C does after the provider's sign-in: map the five claims, keep the
// user with its federated identity, call the API connector and build the token.
func (u *UserFlow) complete(ctx context.Context, scope string, std map[string]any) (*userFlowPage, *stop) {
	m, dropped := mapClaims(std)
	if m.UserID == "" {
		// userId is a required property of the claims mapping (Graph claimsMapping).
		return nil, &stop{http.StatusBadGateway, "B2C would stop here", errors.New("the id_token has no sub: the claims mapping's User ID has nothing to read")}
	}
	objectID := newObjectID()
	// What B2C stores as the issuer of a generic OpenID Connect provider's identity is not
	// documented; the bridge's issuer is the first form its connector matches.
	ids := []connectorIdentity{{SignInType: "federated", Issuer: u.o.Issuer, IssuerAssignedID: m.UserID}}
	call, st := u.callConnector(ctx, objectID, m, ids)
	if st != nil {
		return nil, st
	}
	// The application's token, with the user flow's application claims (Learn:
	// tokens-overview: sub is the user's object id by default, tfp the user flow's name;
	// "Email Addresses" is the emails claim) and the connector's custom attributes.
	now := time.Now()
	final := map[string]any{
		"iss": u.base + "/tenant/v2.0/", "aud": userFlowApp, "sub": objectID, "tfp": userFlowName,
		"idp": u.o.Issuer, "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(), "ver": "1.0",
	}
	for claim, v := range map[string]string{"name": m.DisplayName, "given_name": m.GivenName, "family_name": m.Surname} {
		if v != "" {
			final[claim] = v
		}
	}
	if m.Email != "" {
		final["emails"] = []string{m.Email}
	}
	for k, v := range call.claims {
		final[k] = v
	}
	return &userFlowPage{
		BaseURL: u.base, Scope: scope, IDTokenClaims: pretty(std), Dropped: dropped, Mapped: pretty(m),
		ObjectID: objectID, Identities: pretty(ids),
		ConnectorRequest: pretty(call.request), ConnectorAuth: "Basic (user " + u.o.ClientID + ", the API connector's password)",
		ConnectorResponse: pretty(call.response), ConnectorStatus: call.status, ConnectorMillis: call.elapsed.Milliseconds(),
		ExtensionClaims: claimNames(call.claims), FinalClaims: pretty(final),
	}, nil
}
