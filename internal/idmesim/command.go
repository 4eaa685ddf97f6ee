package idmesim

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"idmebridge/internal/cli"
	"idmebridge/internal/config"
)

// The bridge's callback paths, the redirect URIs a bridge registers at ID.me. They are repeated
// here because the simulator sits below the bridge; a test keeps them equal.
const (
	bridgeCallbackPath       = "/callback"
	bridgeLogoutCallbackPath = "/logout/callback"
)

const commandUsage = `usage: handler simulator [flags]

Runs the ID.me simulator alone on a loopback port, so that a bridge started another way
(func start with local.settings.json, or serve) can sign in with no ID.me account. It prints
the settings to give that bridge.

The simulator's application is one client from the flags, or every client of -clients FILE:
  [{"client_id":"...","client_secret":"...","redirect_uris":["http://localhost:7071/callback"]}]
`

// stringList is a repeatable flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// commandOptions are the simulator command's settings, once parsed.
type commandOptions struct {
	port     int
	clients  []Client
	logLevel slog.Level
	// generatedSecret is set when the client secret was made up, so it is printed.
	generatedSecret bool
}

// parseCommand reads the flags with the handler's conventions (internal/cli): cli.ErrHelp
// means -h was asked for, the usage is printed and the command ends successfully.
func parseCommand(args []string, stdout, stderr io.Writer) (commandOptions, error) {
	fs := cli.NewFlagSet("simulator", commandUsage)
	var o commandOptions
	var redirects stringList
	fs.IntVar(&o.port, "port", 7072, "loopback port to listen on (0 picks a free one)")
	clientID := fs.String("client-id", "bridge-dev", "the client id the bridge uses (IDME_CLIENT_ID)")
	secret := fs.String("client-secret", "", "the client secret the bridge uses (default: a new random one, printed)")
	bridge := fs.String("bridge", "http://localhost:7071", "the bridge's issuer URL: registers its /callback and /logout/callback")
	fs.Var(&redirects, "redirect-uri", "a redirect URI to register instead of the bridge's (repeatable)")
	file := fs.String("clients", "", "a JSON file of clients (client_id, client_secret, redirect_uris) instead of the client flags")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	if err := cli.Parse(fs, args, stdout, stderr); err != nil {
		return o, err
	}
	// The same four names as LOG_LEVEL and the other commands' -log-level, checked before listening.
	lvl, err := config.ParseLogLevel(*level)
	if err != nil {
		return o, cli.Usage(fs, stderr, fmt.Errorf("-log-level: %w", err))
	}
	o.logLevel = lvl
	if o.port < 0 || o.port > 65535 {
		return o, cli.Usage(fs, stderr, fmt.Errorf("-port %d is not a TCP port", o.port))
	}
	if *file != "" {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		for _, n := range []string{"client-id", "client-secret", "bridge", "redirect-uri"} {
			if set[n] {
				return o, cli.Usage(fs, stderr, fmt.Errorf("-clients replaces -%s; give one or the other", n))
			}
		}
		clients, err := readClientsFile(*file)
		if err != nil {
			return o, err
		}
		o.clients = clients
		return o, nil
	}
	c := Client{ID: *clientID, Secret: *secret, RedirectURIs: redirects}
	if c.Secret == "" {
		c.Secret = rand.Text()
		o.generatedSecret = true
	}
	if len(c.RedirectURIs) == 0 {
		base := strings.TrimRight(*bridge, "/")
		c.RedirectURIs = []string{base + bridgeCallbackPath, base + bridgeLogoutCallbackPath}
	}
	o.clients = []Client{c}
	return o, nil
}

// fileClient is one entry of a -clients file.
type fileClient struct {
	ID           string   `json:"client_id"`
	Secret       string   `json:"client_secret"`
	RedirectURIs []string `json:"redirect_uris"`
}

func readClientsFile(path string) ([]Client, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("simulator: read clients: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var list []fileClient
	if err := dec.Decode(&list); err != nil {
		return nil, fmt.Errorf("simulator: %s is not a JSON array of clients (client_id, client_secret, redirect_uris): %w", path, err)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("simulator: %s lists no clients", path)
	}
	out := make([]Client, len(list))
	for i, c := range list {
		out[i] = Client(c)
	}
	return out, nil
}

// Run is the `simulator` command: the ID.me simulator alone, on 127.0.0.1, until ctx is done.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseCommand(args, stdout, stderr)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(o.port)))
	if err != nil {
		return fmt.Errorf("simulator: listen on port %d: %w", o.port, err)
	}
	defer ln.Close()
	// localhost, not 127.0.0.1: the bridge accepts plain http only for a loopback host name,
	// and browsers treat localhost as a secure context.
	base := "http://localhost:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: o.logLevel}))
	sim, err := New(Options{BaseURL: base, Clients: o.clients, Logger: log})
	if err != nil {
		return err
	}
	printSettings(stdout, base, o)
	return serve(ctx, ln, sim)
}

// printSettings tells the user what to give the bridge.
func printSettings(w io.Writer, base string, o commandOptions) {
	fmt.Fprintf(w, "\nID.me simulator listening on %s (personas instead of people; nothing leaves this machine)\n\n", base)
	for _, c := range o.clients {
		fmt.Fprintf(w, "Give the bridge these settings (local.settings.json Values, or the environment):\n\n")
		fmt.Fprintf(w, "  IDME_BASE_URL=%s\n  IDME_CLIENT_ID=%s\n", base, c.ID)
		// The bridge reads the secret named by IDME_CLIENT_SECRET_NAME (default
		// idme-client-secret), which outside Key Vault is the setting IDME_CLIENT_SECRET.
		fmt.Fprintf(w, "  IDME_CLIENT_SECRET=%s\n", c.Secret)
		fmt.Fprintf(w, "  IDME_GROUPS_URL=%s%s   (optional: several communities at once)\n\n", base, PathGroups)
		fmt.Fprintf(w, "  registered redirect URIs: %s\n\n", strings.Join(c.RedirectURIs, ", "))
	}
	if o.generatedSecret {
		fmt.Fprintln(w, "The client secret was generated for this run; pass -client-secret to keep one.")
	}
	fmt.Fprintf(w, "Root page: %s/   Press Ctrl+C to stop.\n", base)
}

// serve answers on ln until ctx is done.
func serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 32 << 10}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("simulator: serve: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("simulator: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("simulator: serve: %w", err)
	}
	return nil
}
