// Package devmode runs the whole sign-in on one machine with no accounts: the bridge, an ID.me
// simulator and a demo relying party that behaves like B2C, each on its own localhost port.
package devmode

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"idmebridge/internal/app"
	"idmebridge/internal/config"
	"idmebridge/internal/demorp"
	"idmebridge/internal/htmlpage"
	"idmebridge/internal/idmesim"
	"idmebridge/internal/policy"
	"idmebridge/internal/provider"
	"idmebridge/internal/seal"
	"idmebridge/internal/secrets"
)

// Options choose the ports (0 picks a free one) and the bridge client the demo signs in with.
type Options struct {
	BridgePort, IDmePort, RPPort int
	Logger                       *slog.Logger
	// Lookup supplies extra settings (e.g. BRIDGE_CLAIM_MAPPINGS); dev mode's own win.
	Lookup config.Lookup
	// ClientID and ClientSecret are the bridge client of the demo, which your own application
	// may use too. "": demo-b2c and a new random secret.
	ClientID, ClientSecret string
	// RedirectURIs are your application's redirect URIs, registered beside the demo's.
	RedirectURIs []string
	// IDmeHost is the host name in the simulator's URL: "" is localhost, the bridge's site;
	// 127.0.0.1 puts the simulator on another site, as ID.me is, for browser tests of the
	// cross-site return.
	IDmeHost string
	// PoliciesDir holds the shipped B2C policy files the demo reads its B2C view from.
	// "": policies (the repository root's folder). Without them the demo still works.
	PoliciesDir string
}

// Env is a running dev environment.
type Env struct {
	BridgeURL, IDmeURL, RPURL string
	// ClientID and ClientSecret sign in at the bridge; RedirectURIs are every redirect URI
	// registered for that client.
	ClientID, ClientSecret string
	RedirectURIs           []string
	// PolicyProblem says why the demo has no B2C view, "" when it has one.
	PolicyProblem string
	done          chan error
	bridgeReady   func() (bool, string)
}

// Wait blocks until the servers have stopped (after the context given to Start is done).
func (e *Env) Wait() error { return <-e.done }

const (
	devClientID = "demo-b2c"
	devIDmeID   = "bridge-dev"
)

// demoPolicies are the ID.me policies the demo client may ask for; demoDefaults is what the
// bridge asks for when a sign-in names none; demoChoices are the demo's buttons, the last one
// ID.me's groups flow (several communities, one of which is enough).
var (
	demoPolicies = []string{"military", "student", "teacher", "responder", "http://idmanagement.gov/ns/assurance/ial/2/aal/2"}
	demoDefaults = []string{"military"}
	demoChoices  = append(append([]string(nil), demoPolicies...), "military student")
)

// Start listens on the three ports, wires the parts together and serves until ctx is done.
func Start(ctx context.Context, o Options) (*Env, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var listeners []net.Listener
	closeAll := func() {
		for _, l := range listeners {
			_ = l.Close()
		}
	}
	listen := func(host string, port int) (string, error) {
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			return "", fmt.Errorf("listen on port %d: %w", port, err)
		}
		listeners = append(listeners, ln)
		// "localhost", not 127.0.0.1: browsers treat it as a secure context, so the bridge's
		// Secure __Host- cookie works over plain http here.
		return "http://" + host + ":" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port), nil
	}
	idmeHost := cmp.Or(o.IDmeHost, "localhost")
	if idmeHost != "localhost" && idmeHost != "127.0.0.1" { // every listener is on 127.0.0.1
		return nil, fmt.Errorf("dev mode: IDmeHost %q must be localhost or 127.0.0.1", idmeHost)
	}
	bridgeURL, err1 := listen("localhost", o.BridgePort)
	idmeURL, err2 := listen(idmeHost, o.IDmePort)
	rpURL, err3 := listen("localhost", o.RPPort)
	if err := errors.Join(err1, err2, err3); err != nil {
		closeAll()
		return nil, err
	}
	env := &Env{BridgeURL: bridgeURL, IDmeURL: idmeURL, RPURL: rpURL, done: make(chan error, 1),
		ClientID: cmp.Or(o.ClientID, devClientID), ClientSecret: cmp.Or(o.ClientSecret, rand.Text()), // URL-safe, for any client auth style
		RedirectURIs: append([]string{rpURL + demorp.RedirectPath()}, o.RedirectURIs...)}
	handlers, err := build(ctx, env, o, log)
	if err != nil {
		closeAll()
		return nil, err
	}
	go func() {
		var wg sync.WaitGroup
		errs := make([]error, len(listeners))
		for i, ln := range listeners {
			wg.Go(func() { errs[i] = app.Serve(ctx, ln, handlers[i], log) })
		}
		wg.Wait()
		env.done <- errors.Join(errs...)
	}()
	// The bridge fetches the simulator's metadata before it is ready, which needs the servers
	// above; the URLs are handed out once a sign-in can start.
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		ok, why := env.bridgeReady()
		if ok {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			log.Warn("dev mode: the bridge is not ready", "why", why)
			break
		}
	}
	return env, nil
}

// build returns the bridge, simulator and relying-party handlers, in listener order.
func build(ctx context.Context, env *Env, o Options, log *slog.Logger) ([]http.Handler, error) {
	bridgeURL, idmeURL, rpURL := env.BridgeURL, env.IDmeURL, env.RPURL
	idmeSecret := seal.NewKey()
	demoLink := htmlpage.Link{Label: "Demo relying party", Href: rpURL + "/", Note: "sign in as B2C would"}
	sim, err := idmesim.New(idmesim.Options{
		BaseURL: idmeURL,
		Clients: []idmesim.Client{{ID: devIDmeID, Secret: idmeSecret,
			RedirectURIs: []string{provider.CallbackURL(bridgeURL), bridgeURL + provider.PathLogoutCallback}}},
		Logger:    log.With("component", "idme-simulator"),
		RootLinks: []htmlpage.Link{demoLink, {Label: "Bridge", Href: bridgeURL + "/"}},
	})
	if err != nil {
		return nil, err
	}
	eid, uf := newExternalIDMode(rpURL), newUserFlowMode(rpURL)
	clients, err := json.Marshal([]config.Client{{
		ID: env.ClientID, SecretName: "demo-client-secret", RedirectURIs: env.RedirectURIs,
		PostLogoutRedirectURIs: []string{rpURL + "/"}, IDmeScopes: demoPolicies, DefaultIDmeScopes: demoDefaults,
		// No default response mode: the demo asks for form_post as B2C does, and other
		// OIDC libraries get the query response they expect by default.
	}, eid.client(), uf.client()})
	if err != nil {
		return nil, fmt.Errorf("dev mode: clients: %w", err)
	}
	settings := map[string]string{
		"BRIDGE_ISSUER":               bridgeURL,
		"IDME_BASE_URL":               idmeURL,
		"IDME_CLIENT_ID":              devIDmeID,
		"IDME_GROUPS_URL":             idmeURL + idmesim.PathGroups,
		"BRIDGE_ALLOW_EPHEMERAL_KEYS": "true",
		"BRIDGE_CLIENTS":              string(clients),
		// The External ID extension and the B2C API connector both read them.
		"BRIDGE_VERIFICATION_RECORDS": "true",
	}
	eid.addTo(settings)
	cfg, err := config.Load(func(k string) (string, bool) {
		if v, ok := settings[k]; ok {
			return v, true
		}
		if o.Lookup != nil {
			return o.Lookup(k)
		}
		return "", false
	})
	if err != nil {
		return nil, err
	}
	secretValues := secrets.Map{"demo-client-secret": env.ClientSecret, cfg.IDme.ClientSecret: idmeSecret, eidSecretName: eid.secret}
	uf.addSecrets(secretValues)
	assembled, err := app.New(ctx, app.Parts{
		Config:     cfg,
		Secrets:    secretValues,
		Logger:     log.With("component", "bridge"),
		Credential: eid.credential(),
	})
	if err != nil {
		return nil, err
	}
	go assembled.Run(ctx)
	env.bridgeReady = assembled.Ready
	bridge := assembled.Handler()
	b2c, err := demorp.LoadB2CPolicy(cmp.Or(o.PoliciesDir, "policies"), policy.Environment{
		Name: "dev", Tenant: "devmode.onmicrosoft.com",
		PolicySettings: map[string]string{
			"TenantName": "devmode", "BridgeUrl": bridgeURL, "BridgeClientId": env.ClientID,
			"BridgeClientSecretKey": "B2C_1A_IdmeBridgeSecret", "IdmeScopes": strings.Join(demoDefaults, " "),
			"IdmeIdentityProvider": "id.me", "IdmeNameEditing": "Verified", "VerifyCommunities": "military",
		},
	})
	if err != nil {
		env.PolicyProblem = err.Error()
		log.Warn("the demo shows no B2C view: the policy files could not be read", "err", err)
	}
	rp, err := demorp.New(demorp.Options{
		BaseURL: rpURL, Issuer: bridgeURL, ClientID: env.ClientID, ClientSecret: env.ClientSecret,
		Choices: demoChoices, DefaultPolicies: demoDefaults, B2C: b2c,
		Modes: []htmlpage.Link{
			{Label: "External ID mode", Href: rpURL + eidPath + "/", Note: "Entra External ID: custom OIDC provider and custom authentication extension"},
			{Label: "B2C user flow mode", Href: rpURL + ufPath + "/", Note: "a B2C user flow: OpenID Connect provider with five mapped claims, and the API connector"},
		},
		Logger: log.With("component", "demo-relying-party"),
	})
	if err != nil {
		return nil, err
	}
	eidHandler, err := eid.handler(bridgeURL, log)
	if err != nil {
		return nil, err
	}
	ufHandler, err := uf.handler(bridgeURL, log)
	if err != nil {
		return nil, err
	}
	rpWithModes := http.NewServeMux()
	rpWithModes.Handle(eidPath+"/", eidHandler)
	rpWithModes.Handle(ufPath+"/", ufHandler)
	rpWithModes.Handle("/", rp)
	// The bridge's root page, with the demo beside its own links.
	withRoot := http.NewServeMux()
	withRoot.Handle("GET /{$}", htmlpage.BridgeLinks(bridgeURL, demoLink).Handler("ID.me bridge", log))
	withRoot.Handle("/", bridge)
	return []http.Handler{withRoot, sim, rpWithModes}, nil
}
