// Command handler is the ID.me bridge: an Azure Functions custom handler by default, and the
// operator's tool for everything around it (local dev mode, key generation).
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"idmebridge/internal/app"
	"idmebridge/internal/config"
	"idmebridge/internal/devmode"
	"idmebridge/internal/keyadmin"
	"idmebridge/internal/loadtest"
	"idmebridge/internal/policy"
)

const usage = `usage: handler [command]

commands:
  serve        run the bridge (the default; what the Functions host starts)
  dev          run the bridge, an ID.me simulator and a demo relying party on localhost
  check        read the settings and report every problem
  keys ...     create and rotate signing keys, make a state key ("keys" alone for help)
  policy render  render the B2C policy files for one environment and check them
  loadtest     drive sign-ins against a bridge and simulator on this machine ("loadtest help")
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, stderr)
	case "dev":
		err = devmode.Run(ctx, args, stdout, stderr)
	case "check":
		if _, err = config.Load(os.LookupEnv); err == nil {
			fmt.Fprintln(stdout, "settings are valid")
		}
	case "policy":
		err = policy.Run(ctx, args, stdout, stderr)
	case "keys":
		err = keyadmin.Run(args, os.Stdin, stdout, stderr, time.Now())
	case "loadtest":
		err = loadtest.Run(ctx, args, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprint(stderr, usage)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	return 0
}

func serve(ctx context.Context, stderr io.Writer) error {
	cfg, err := config.Load(os.LookupEnv)
	if err != nil {
		return err
	}
	log := app.NewLogger(stderr, cfg.LogLevel)
	// Background work (secret refresh, record writing) outlives the HTTP server, so requests
	// finishing during shutdown can still hand it work, which it then completes.
	background, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBackground()
	bridge, err := app.New(background, app.Parts{Config: cfg, Lookup: os.LookupEnv, Logger: log})
	if err != nil {
		return err
	}
	backgroundDone := make(chan struct{})
	go func() { bridge.Run(background); close(backgroundDone) }()
	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.ListenHost, strconv.Itoa(cfg.Port)))
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	log.Info("bridge listening", "addr", ln.Addr().String(), "issuer", cfg.Issuer)
	serveErr := app.Serve(ctx, ln, bridge.Handler(), log)
	stopBackground()
	select {
	case <-backgroundDone:
	case <-time.After(15 * time.Second):
		log.Warn("background work did not finish within 15s of shutdown")
	}
	return serveErr
}
