// Package devmode runs the whole sign-in on one machine with no accounts: the bridge, an ID.me
// simulator and a demo relying party that behaves like B2C, each on its own localhost port.
package devmode

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"

	"idmebridge/internal/app"
	"idmebridge/internal/config"
	"idmebridge/internal/demorp"
	"idmebridge/internal/idmesim"
	"idmebridge/internal/provider"
	"idmebridge/internal/seal"
	"idmebridge/internal/secrets"
)

// Options choose the ports (0 picks a free one).
type Options struct {
	BridgePort, IDmePort, RPPort int
	Logger                       *slog.Logger
	// Lookup supplies extra settings (e.g. BRIDGE_CLAIM_MAPPINGS); dev mode's own win.
	Lookup config.Lookup
}

// Env is a running dev environment.
type Env struct {
	BridgeURL, IDmeURL, RPURL string
	done                      chan error
}

// Wait blocks until the servers have stopped (after the context given to Start is done).
func (e *Env) Wait() error { return <-e.done }

const (
	devClientID = "demo-b2c"
	devIDmeID   = "bridge-dev"
)

// demoPolicies are the ID.me policies the demo relying party offers.
var demoPolicies = []string{"military", "student", "teacher", "responder", "http://idmanagement.gov/ns/assurance/ial/2/aal/2"}

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
	listen := func(port int) (string, error) {
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			return "", fmt.Errorf("listen on port %d: %w", port, err)
		}
		listeners = append(listeners, ln)
		// "localhost", not 127.0.0.1: browsers treat it as a secure context, so the bridge's
		// Secure __Host- cookie works over plain http here.
		return "http://localhost:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port), nil
	}
	bridgeURL, err1 := listen(o.BridgePort)
	idmeURL, err2 := listen(o.IDmePort)
	rpURL, err3 := listen(o.RPPort)
	if err := errors.Join(err1, err2, err3); err != nil {
		closeAll()
		return nil, err
	}
	handlers, err := build(ctx, bridgeURL, idmeURL, rpURL, o.Lookup, log)
	if err != nil {
		closeAll()
		return nil, err
	}
	env := &Env{BridgeURL: bridgeURL, IDmeURL: idmeURL, RPURL: rpURL, done: make(chan error, 1)}
	go func() {
		var wg sync.WaitGroup
		errs := make([]error, len(listeners))
		for i, ln := range listeners {
			wg.Go(func() { errs[i] = app.Serve(ctx, ln, handlers[i], log) })
		}
		wg.Wait()
		env.done <- errors.Join(errs...)
	}()
	return env, nil
}

// build returns the bridge, simulator and relying-party handlers, in listener order.
func build(ctx context.Context, bridgeURL, idmeURL, rpURL string, extra config.Lookup, log *slog.Logger) ([]http.Handler, error) {
	rpSecret, idmeSecret := seal.NewKey(), seal.NewKey()
	sim, err := idmesim.New(idmesim.Options{
		BaseURL: idmeURL,
		Clients: []idmesim.Client{{ID: devIDmeID, Secret: idmeSecret,
			RedirectURIs: []string{provider.CallbackURL(bridgeURL), bridgeURL + provider.PathLogoutCallback}}},
		Logger: log.With("component", "idme-simulator"),
	})
	if err != nil {
		return nil, err
	}
	settings := map[string]string{
		"BRIDGE_ISSUER":               bridgeURL,
		"IDME_BASE_URL":               idmeURL,
		"IDME_CLIENT_ID":              devIDmeID,
		"BRIDGE_ALLOW_EPHEMERAL_KEYS": "true",
		"BRIDGE_CLIENTS": fmt.Sprintf(`[{"client_id":%q,"secret_name":"demo-client-secret","redirect_uris":[%q],"post_logout_redirect_uris":[%q],"idme_scopes":%s,"default_idme_scopes":["military"],"default_response_mode":"form_post"}]`,
			devClientID, rpURL+demorp.RedirectPath(), rpURL+"/", jsonList(demoPolicies)),
	}
	cfg, err := config.Load(func(k string) (string, bool) {
		if v, ok := settings[k]; ok {
			return v, true
		}
		if extra != nil {
			return extra(k)
		}
		return "", false
	})
	if err != nil {
		return nil, err
	}
	bridge, err := app.Build(ctx, app.Parts{
		Config:  cfg,
		Secrets: secrets.Map{"demo-client-secret": rpSecret, cfg.IDme.ClientSecret: idmeSecret},
		Logger:  log.With("component", "bridge"),
	})
	if err != nil {
		return nil, err
	}
	rp, err := demorp.New(demorp.Options{
		BaseURL: rpURL, Issuer: bridgeURL, ClientID: devClientID, ClientSecret: rpSecret,
		Choices: demoPolicies, Logger: log.With("component", "demo-relying-party"),
	})
	if err != nil {
		return nil, err
	}
	return []http.Handler{bridge, sim, rp}, nil
}

func jsonList(items []string) string {
	out := "["
	for i, s := range items {
		if i > 0 {
			out += ","
		}
		out += strconv.Quote(s)
	}
	return out + "]"
}

// Run is the `dev` command: flags, Start, a banner that says where to click, and Wait.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := Options{Lookup: os.LookupEnv}
	fs.IntVar(&o.BridgePort, "port", 7071, "port of the bridge (Core Tools' default)")
	fs.IntVar(&o.IDmePort, "idme-port", 7072, "port of the ID.me simulator")
	fs.IntVar(&o.RPPort, "rp-port", 7073, "port of the demo relying party")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	lvl, err := config.ParseLogLevel(*level)
	if err != nil {
		return err
	}
	o.Logger = app.NewLogger(stdout, stderr, lvl)
	env, err := Start(ctx, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, `
ID.me bridge, dev mode (no accounts needed; nothing leaves this machine)

  Open the demo relying party:  %s
  Bridge (OIDC issuer):         %s/.well-known/openid-configuration
  ID.me simulator:              %s/oidc/.well-known/openid-configuration

Pick a policy, then a persona at the simulator, and see the id_token the bridge returns.
Press Ctrl+C to stop.
`, env.RPURL, env.BridgeURL, env.IDmeURL)
	return env.Wait()
}
