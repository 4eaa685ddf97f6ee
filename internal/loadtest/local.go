package loadtest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"idmebridge/internal/app"
	"idmebridge/internal/config"
	"idmebridge/internal/idmesim"
	"idmebridge/internal/keys"
	"idmebridge/internal/seal"
)

// Local is a bridge and an ID.me simulator served in this process on loopback, wired as
// `serve` with keys from settings would be: for the load test's smoke run and for benchmarks.
type Local struct {
	Target Target
	// Bridge is the bridge's handler, for driving one endpoint without the network.
	Bridge http.Handler
	SimURL string
	// IDmeDelay is the delaying proxy in front of the simulator, when LocalOptions.IDmeDelay
	// asked for one.
	IDmeDelay *DelayProxy
	done      chan error
}

// Settings of the local pair; LocalOptions.Settings adds to or replaces them.
const (
	localClientID     = "b2c"
	localClientSecret = "b2c-secret-for-load"
	localRedirectURI  = "https://contoso.b2clogin.com/contoso.onmicrosoft.com/oauth2/authresp"
	localIDmeClientID = "idme-app"
	localIDmeSecret   = "idme-secret-for-load"
)

// LocalOptions adjust a Local.
type LocalOptions struct {
	// Settings are extra bridge settings (e.g. BRIDGE_STORE=blob with AzureWebJobsStorage).
	Settings map[string]string
	// SigningAlg is the simulator's id_token algorithm; empty means ES256.
	SigningAlg string
	Logger     *slog.Logger
	// IDmeDelay, when positive, is a round trip added to every exchange with the simulator
	// (the bridge's and the browser's), by a delaying proxy the simulator names itself by.
	IDmeDelay time.Duration
}

// StartLocal starts the pair; both stop when ctx is done (Wait reports how they ended). It
// returns once the bridge is ready to serve sign-ins.
func StartLocal(ctx context.Context, o LocalOptions) (*Local, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.SigningAlg == "" {
		o.SigningAlg = idmesim.ES256
	}
	bridgeLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	bridgeURL := "http://" + bridgeLn.Addr().String()
	l := &Local{done: make(chan error, 2)}
	simReady := make(chan string, 1)
	simOpts := SimulatorOptions{
		Listen: "127.0.0.1:0", Bridge: bridgeURL, ClientID: localIDmeClientID, ClientSecret: localIDmeSecret,
		SigningAlg: o.SigningAlg, Logger: o.Logger,
	}
	if o.IDmeDelay > 0 {
		port, err := freePort()
		if err != nil {
			bridgeLn.Close()
			return nil, err
		}
		simOpts.Listen = fmt.Sprintf("127.0.0.1:%d", port)
		if l.IDmeDelay, err = StartDelayProxy("127.0.0.1:0", simOpts.Listen, o.IDmeDelay); err != nil {
			bridgeLn.Close()
			return nil, err
		}
		simOpts.BaseURL = "http://" + l.IDmeDelay.Addr()
		go func() { <-ctx.Done(); l.IDmeDelay.Close() }()
	}
	go func() {
		l.done <- ServeSimulator(ctx, simOpts, func(base string) { simReady <- base })
	}()
	select {
	case l.SimURL = <-simReady:
	case err := <-l.done:
		bridgeLn.Close()
		return nil, fmt.Errorf("simulator: %w", err)
	}

	signing, err := keys.NewPrivateSet()
	if err != nil {
		bridgeLn.Close()
		return nil, err
	}
	settings := map[string]string{
		"BRIDGE_ISSUER":       bridgeURL,
		"IDME_BASE_URL":       l.SimURL,
		"IDME_CLIENT_ID":      localIDmeClientID,
		"IDME_CLIENT_SECRET":  localIDmeSecret,
		"B2C_SECRET":          localClientSecret,
		"BRIDGE_SIGNING_KEYS": string(signing),
		"BRIDGE_STATE_KEY":    seal.NewKey(),
		"BRIDGE_STORE":        "memory",
		"BRIDGE_LOG_LEVEL":    "warn",
		"BRIDGE_CLIENTS": fmt.Sprintf(`[{"client_id":%q,"secret_name":"b2c-secret","redirect_uris":[%q],`+
			`"idme_scopes":["military"],"default_idme_scopes":["military"]}]`, localClientID, localRedirectURI),
	}
	for k, v := range o.Settings {
		settings[k] = v
	}
	lookup := func(k string) (string, bool) { v, ok := settings[k]; return v, ok }
	cfg, err := config.Load(lookup)
	if err != nil {
		bridgeLn.Close()
		return nil, err
	}
	bridge, err := app.New(ctx, app.Parts{Config: cfg, Lookup: lookup, Logger: o.Logger})
	if err != nil {
		bridgeLn.Close()
		return nil, err
	}
	go bridge.Run(ctx)
	l.Bridge = bridge.Handler()
	go func() { l.done <- app.Serve(ctx, bridgeLn, l.Bridge, o.Logger) }()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ok, why := bridge.Ready()
		if ok {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("bridge not ready after 15s: %s", why)
		}
		time.Sleep(5 * time.Millisecond)
	}
	l.Target = Target{Bridge: bridgeURL, ClientID: localClientID, ClientSecret: localClientSecret,
		RedirectURI: localRedirectURI, Scope: "openid", Persona: "veteran"}
	return l, nil
}

// Wait returns once both servers have stopped (after the context given to StartLocal is done).
func (l *Local) Wait() error {
	return errors.Join(<-l.done, <-l.done)
}
