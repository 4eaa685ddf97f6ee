// Command handler is the ID.me bridge: an Azure Functions custom handler by default, and the
// operator's tool for everything around it (local dev mode, key generation, policy files).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"idmebridge/internal/app"
	"idmebridge/internal/cli"
	"idmebridge/internal/config"
	"idmebridge/internal/devmode"
	"idmebridge/internal/doctor"
	"idmebridge/internal/idmesim"
	"idmebridge/internal/keyadmin"
	"idmebridge/internal/linebatch"
	"idmebridge/internal/loadtest"
	"idmebridge/internal/policy"
	"idmebridge/internal/userflow"
)

// command is one handler command. Its run follows internal/cli's conventions: -h/--help prints
// its usage to stdout and returns cli.ErrHelp; a bad command line returns a *cli.UsageError.
type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// commands lists every command; adding one is one line here.
func commands() []command {
	return []command{
		{"serve", "run the bridge (the default; what the Functions host starts)", serve},
		{"dev", "run the bridge, an ID.me simulator and a demo relying party on localhost", devmode.Run},
		{"simulator", "run the ID.me simulator alone, for a bridge started with func start or serve", idmesim.Run},
		{"check", "read the settings and report every problem, offline [--json]", checkCommand},
		{"doctor", "check the settings and what they point at: ID.me, Key Vault, keys, Blob Storage [--json]", doctorCommand},
		{"keys", "create and rotate signing keys, make a state key", runKeys},
		{"policy", "render and check the B2C policy files; upload them and the policy key to the tenant", policy.Run},
		{"userflow", "set up B2C user flows to sign in with ID.me and receive the verification claims", userflow.Run},
		{"loadtest", "drive whole sign-ins against a bridge and simulator on this machine", loadtest.Run},
		{"version", "print the module version and the commit it was built from", version},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 {
		args = []string{"serve"} // the Functions host starts the handler with no arguments
	}
	top := cli.NewFlagSet("handler", usage(cmds))
	name, rest, err := cli.Subcommand(top, args, stdout, stderr)
	if err == nil {
		err = runCommand(ctx, cmds, name, rest, stdout, stderr)
		if errors.Is(err, errUnknown) {
			err = cli.Usage(top, stderr, fmt.Errorf("unknown command %q", name))
		}
	}
	if code := cli.ExitCode(err); code != 0 {
		fmt.Fprintln(stderr, "error:", err)
		return code
	}
	return 0
}

var errUnknown = errors.New("unknown command")

func runCommand(ctx context.Context, cmds []command, name string, args []string, stdout, stderr io.Writer) error {
	for _, c := range cmds {
		if c.name == name {
			return c.run(ctx, args, stdout, stderr)
		}
	}
	return errUnknown
}

func usage(cmds []command) string {
	var b strings.Builder
	b.WriteString("usage: handler [command] [flags]\n\ncommands:\n")
	for _, c := range cmds {
		fmt.Fprintf(&b, "  %-10s %s\n", c.name, c.summary)
	}
	b.WriteString("  help       help <command> describes one command (as does <command> -h)\n")
	return b.String()
}

const serveUsage = `usage: handler serve

Run the bridge: the OpenID Connect provider B2C or External ID signs in with, in front of ID.me.
Settings come from environment variables (see the README's Configuration); it listens on
FUNCTIONS_CUSTOMHANDLER_PORT. The Functions host starts it this way (the handler with no command).
`

// defaultGCPercent is the garbage collector's target when GOGC is not set (see serve).
const defaultGCPercent = 400

// What the bridge holds of its stdout before writing it: a line waits at most logBatchDelay.
const (
	logBatchDelay = 25 * time.Millisecond
	logBatchBytes = 32 << 10
)

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if err := cli.Parse(cli.NewFlagSet("serve", serveUsage), args, stdout, stderr); err != nil {
		return err
	}
	cfg, err := config.Load(os.LookupEnv)
	if err != nil {
		// The host files stderr line by line, and the README's query reads JSON lines: one
		// ERROR line carries every problem, so a bridge that will not start says why there too.
		app.NewLogger(stdout, stderr, slog.LevelInfo).Error("not starting: invalid settings",
			"problems", config.Problems(err), "fix", "correct these app settings; `handler check` lists each with its fix")
		return err
	}
	if os.Getenv("GOGC") == "" {
		// The bridge's live heap is about 2 MB, so at Go's default of 100 a busy instance
		// collects about 40 times a second (gctrace: 2 % of its CPU); at 400 it collects a
		// tenth as often for a heap goal near 20 MB. A GOGC app setting still wins.
		debug.SetGCPercent(defaultGCPercent)
	}
	// INFO lines (an outcome event per sign-in and per token) reach the host in batches of at
	// most logBatchDelay; WARN and ERROR lines on stderr are written at once.
	lines := linebatch.New(stdout, logBatchDelay, logBatchBytes)
	defer lines.Close()
	log := app.NewLogger(lines, stderr, cfg.LogLevel)
	// Background work (secret refresh, record writing) outlives the HTTP server, so requests
	// finishing during shutdown can still hand it work, which it then completes.
	background, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBackground()
	bridge, err := app.New(background, app.Parts{Config: cfg, Lookup: os.LookupEnv, Logger: log})
	if err != nil {
		log.Error("not starting", "err", err)
		return err
	}
	backgroundDone := make(chan struct{})
	go func() { bridge.Run(background); close(backgroundDone) }()
	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.ListenHost, strconv.Itoa(cfg.Port)))
	if err != nil {
		log.Error("not starting: cannot listen", "err", err)
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
	if serveErr != nil {
		log.Error("stopped", "err", serveErr)
	} else {
		log.Info("stopped")
	}
	return serveErr
}

func checkCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return doctor.Command(ctx, "check", args, os.LookupEnv, stdout, stderr)
}

func doctorCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return doctor.Command(ctx, "doctor", args, os.LookupEnv, stdout, stderr)
}

func runKeys(_ context.Context, args []string, stdout, stderr io.Writer) error {
	return keyadmin.Run(args, keyadmin.Stdin(os.Stdin), stdout, stderr, time.Now())
}

const versionUsage = `usage: handler version

Print the module version and the VCS commit the binary was built from.
`

func version(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if err := cli.Parse(cli.NewFlagSet("version", versionUsage), args, stdout, stderr); err != nil {
		return err
	}
	info, ok := debug.ReadBuildInfo()
	_, err := fmt.Fprint(stdout, cli.Version(info, ok))
	return err
}
