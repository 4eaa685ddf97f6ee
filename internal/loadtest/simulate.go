package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"idmebridge/internal/app"
	"idmebridge/internal/cli"
	"idmebridge/internal/config"
	"idmebridge/internal/idmesim"
	"idmebridge/internal/provider"
)

// SimulatorOptions configure a simulator served for a bridge under load.
type SimulatorOptions struct {
	Listen string // loopback host:port
	// BaseURL is the URL the simulator names itself by (its issuer and endpoints); empty means
	// its listen address. A delaying proxy in front of it sets this to the proxy's address.
	BaseURL      string
	Bridge       string // the bridge's issuer, whose callback is the registered redirect URI
	ClientID     string
	ClientSecret string
	SigningAlg   string
	Logger       *slog.Logger
}

// ServeSimulator serves an ID.me simulator for the bridge until ctx is done. ready, if not
// nil, receives the simulator's base URL once it listens.
func ServeSimulator(ctx context.Context, o SimulatorOptions, ready func(baseURL string)) error {
	if err := checkLoopbackAddr("simulator listen address", o.Listen); err != nil {
		return err
	}
	if _, err := checkLoopback("bridge", o.Bridge); err != nil {
		return err
	}
	if o.BaseURL != "" {
		if _, err := checkLoopback("simulator base URL", o.BaseURL); err != nil {
			return err
		}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return fmt.Errorf("simulator: %w", err)
	}
	base := "http://" + ln.Addr().String()
	if o.BaseURL != "" {
		base = strings.TrimRight(o.BaseURL, "/")
	}
	bridge := strings.TrimRight(o.Bridge, "/")
	sim, err := idmesim.New(idmesim.Options{
		BaseURL:    base,
		SigningAlg: o.SigningAlg,
		Logger:     o.Logger,
		Clients: []idmesim.Client{{ID: o.ClientID, Secret: o.ClientSecret,
			RedirectURIs: []string{provider.CallbackURL(bridge), bridge + provider.PathLogoutCallback}}},
	})
	if err != nil {
		ln.Close()
		return err
	}
	if ready != nil {
		ready(base)
	}
	return app.Serve(ctx, ln, sim, o.Logger)
}

const simulateUsage = `usage: handler loadtest simulate [flags]

Runs the ID.me simulator alone on loopback as a light load partner (ES256 by default), with the
client secret from IDME_CLIENT_SECRET, for a bridge started separately.
`

// runSimulator is "loadtest simulate".
func runSimulator(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlagSet("loadtest simulate", simulateUsage)
	o := SimulatorOptions{}
	fs.StringVar(&o.Listen, "listen", "127.0.0.1:9001", "where the simulator listens (loopback)")
	fs.StringVar(&o.BaseURL, "base-url", "", "the URL the simulator names itself by, when a proxy stands in front of it (loopback; empty: its listen address)")
	fs.StringVar(&o.Bridge, "bridge", "http://127.0.0.1:8080", "the bridge's issuer URL, whose callback is registered")
	fs.StringVar(&o.ClientID, "client-id", "idme-app", "the bridge's client_id at the simulator (IDME_CLIENT_ID)")
	fs.StringVar(&o.SigningAlg, "alg", idmesim.ES256, "id_token signing algorithm: ES256 (light, for load) or RS256")
	runFor := fs.Duration("for", 30*time.Minute, "stop after this long")
	logLevel := fs.String("log-level", "", "log requests at this level (debug, info...); empty: no logs")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file (for go tool pprof)")
	if err := cli.Parse(fs, args, stdout, stderr); err != nil {
		return err
	}
	// The secret comes from the environment, as the bridge's does, to stay out of ps listings.
	o.ClientSecret = os.Getenv("IDME_CLIENT_SECRET")
	if o.ClientSecret == "" {
		return errors.New("loadtest simulate: set IDME_CLIENT_SECRET to the secret the bridge sends")
	}
	if *runFor <= 0 || *runFor > maxDuration {
		return fmt.Errorf("loadtest simulate: -for must be in (0, %s]", maxDuration)
	}
	if *logLevel != "" {
		level, err := config.ParseLogLevel(*logLevel)
		if err != nil {
			return cli.Usage(fs, stderr, err)
		}
		o.Logger = app.NewLogger(stdout, stderr, level)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("loadtest simulate: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("loadtest simulate: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	ctx, cancel := context.WithTimeout(ctx, *runFor)
	defer cancel()
	return ServeSimulator(ctx, o, func(base string) {
		fmt.Fprintf(stdout, "ID.me simulator (%s) at %s; set IDME_BASE_URL=%s\n", o.SigningAlg, base, base)
	})
}
