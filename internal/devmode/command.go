package devmode

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"log/slog"

	"idmebridge/internal/app"
	"idmebridge/internal/cli"
	"idmebridge/internal/config"
)

const commandUsage = `usage: handler dev [flags]

Runs the bridge, an ID.me simulator and a demo relying party on localhost, with no accounts.
Your own application can sign in too: give it the client id and secret dev mode prints, and
register its redirect URI with -redirect-uri.
`

// stringList is a repeatable flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// parseCommand reads the dev command's flags with the handler's conventions (internal/cli):
// cli.ErrHelp means the usage was asked for and printed to stdout.
func parseCommand(args []string, stdout, stderr io.Writer) (Options, slog.Level, error) {
	fs := cli.NewFlagSet("dev", commandUsage)
	o := Options{Lookup: os.LookupEnv}
	var redirects stringList
	fs.IntVar(&o.BridgePort, "port", 7071, "port of the bridge (Core Tools' default)")
	fs.IntVar(&o.IDmePort, "idme-port", 7072, "port of the ID.me simulator")
	fs.IntVar(&o.RPPort, "rp-port", 7073, "port of the demo relying party")
	fs.StringVar(&o.ClientID, "client-id", devClientID, "the bridge client id of the demo (and of your application)")
	fs.StringVar(&o.ClientSecret, "client-secret", "", "its client secret (default: a new random one, printed)")
	fs.Var(&redirects, "redirect-uri", "your application's redirect URI, registered beside the demo's (repeatable; on localhost, http or https)")
	fs.StringVar(&o.PoliciesDir, "policies", "policies", "the B2C policy files the demo reads its B2C view from")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	if err := cli.Parse(fs, args, stdout, stderr); err != nil {
		return o, 0, err
	}
	if o.ClientID == "" {
		return o, 0, cli.Usage(fs, stderr, errors.New("-client-id must not be empty"))
	}
	lvl, err := config.ParseLogLevel(*level)
	if err != nil {
		return o, 0, cli.Usage(fs, stderr, err)
	}
	for _, r := range redirects {
		if err := localRedirectURI(r); err != nil {
			return o, 0, cli.Usage(fs, stderr, err)
		}
	}
	o.RedirectURIs = redirects
	return o, lvl, nil
}

// localRedirectURI refuses a -redirect-uri dev mode's bridge would refuse, saying why in the
// flag's terms: dev mode's issuer is localhost, so the application signing in runs there too.
func localRedirectURI(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" || strings.Contains(raw, "#") {
		return fmt.Errorf("-redirect-uri %q must be an absolute http(s) URL without a fragment, e.g. http://localhost:3000/callback", raw)
	}
	if !config.IsLoopbackHost(u.Hostname()) {
		return fmt.Errorf("-redirect-uri %q: dev mode runs on localhost, so the application's redirect URI must be on localhost (or 127.0.0.1) too", raw)
	}
	return nil
}

// Run is the `dev` command: flags, Start, a banner that says where to click and how to sign
// in from your own application, and Wait.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, level, err := parseCommand(args, stdout, stderr)
	if err != nil {
		return err
	}
	o.Logger = app.NewLogger(stdout, stderr, level)
	env, err := Start(ctx, o)
	if err != nil {
		return err
	}
	printBanner(stdout, env)
	return env.Wait()
}

func printBanner(w io.Writer, env *Env) {
	fmt.Fprintf(w, `
ID.me bridge, dev mode (no accounts needed; nothing leaves this machine)

  Open the demo relying party:  %s
    as Entra External ID:       %s
    as a B2C user flow:         %s
  Bridge (OIDC issuer):         %s
  ID.me simulator:              %s

Pick a policy, then a persona at the simulator, and see what B2C would receive.

Sign in from your own application (any OpenID Connect client library):
  issuer         %s
  client_id      %s
  client_secret  %s
  redirect URIs  %s
  (add yours with -redirect-uri; scope "openid military", or another policy the demo offers)
`, env.RPURL+"/", env.RPURL+eidPath+"/", env.RPURL+ufPath+"/", env.BridgeURL+"/", env.IDmeURL+"/", env.BridgeURL, env.ClientID, env.ClientSecret,
		strings.Join(env.RedirectURIs, "\n                 "))
	if env.PolicyProblem != "" {
		fmt.Fprintf(w, "\nThe demo shows no B2C view (%s); run from the repository root or pass -policies.\n", env.PolicyProblem)
	}
	fmt.Fprintln(w, "\nPress Ctrl+C to stop.")
}
