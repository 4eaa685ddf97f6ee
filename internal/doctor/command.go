package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"idmebridge/internal/b2cgraph"
	"idmebridge/internal/cli"
	"idmebridge/internal/config"
)

var usages = map[string]string{
	"check": `usage: handler check [--json]

Read the settings from the environment exactly as serve does and report every problem with its
fix (exit status 1 when any fails). Offline: nothing is fetched from ID.me, Key Vault or Blob.
`,
	"doctor": `usage: handler doctor [--json] [--timeout D] [--b2c-env NAME [--policies DIR]] [--location REGION]

Read the same settings as serve, then check everything they point at: ID.me's discovery and
the registered callback (a harmless authorize probe), Key Vault and each named secret (values
are never printed), the signing key set, Blob Storage, each client's secret, and the B2C API
connector of each user-flow client (Continue for a local account, 401 for a wrong password). Every finding
comes with its fix; the exit status is 0 only when all pass.

With --b2c-env (an environment of DIR/appsettings.json, as "policy deploy -env" takes it) it
also checks, through Microsoft Graph in that environment's B2C tenant, that the policy key
named by BridgeClientSecretKey exists and has an active key, and that each policy file
"policy render" makes is uploaded and equal to the rendered one (read-only: needs
Policy.Read.All and TrustFrameworkKeySet.Read.All, and a sign-in to the B2C tenant, e.g.
az login --tenant TENANT --allow-no-subscriptions). With --location (e.g.
"$(azd env get-value AZURE_LOCATION)") it checks that the region offers runtime custom on Flex
Consumption. Without them those checks are skipped.
`,
}

// Command is the `doctor` command (every check) and the `check` command (the offline subset):
// the findings as text, or as JSON with --json; an error when any failed.
func Command(ctx context.Context, name string, args []string, lookup config.Lookup, stdout, stderr io.Writer) error {
	return command(ctx, name, args, Options{Lookup: lookup}, stdout, stderr)
}

// command is Command with the parts a test replaces already in o; the flags fill in the rest.
func command(ctx context.Context, name string, args []string, o Options, stdout, stderr io.Writer) error {
	fs := cli.NewFlagSet(name, usages[name])
	asJSON := fs.Bool("json", false, "print the findings as JSON")
	timeout := new(time.Duration)
	*timeout = 10 * time.Second
	o.Offline = name == "check"
	if name == "doctor" { // check is offline: it calls nothing
		fs.DurationVar(timeout, "timeout", *timeout, "limit on each outbound call")
		fs.StringVar(&o.B2C.Env, "b2c-env", "", "environment (Name) of the policies' appsettings.json whose B2C tenant to check")
		fs.StringVar(&o.B2C.Dir, "policies", "policies", "with --b2c-env: folder with appsettings.json and the policy templates")
		fs.StringVar(&o.B2C.Tenant, "b2c-tenant", "", "with --b2c-env: B2C tenant to sign in to (default: the environment's Tenant)")
		fs.StringVar(&o.B2C.GraphURL, "graph", "", "with --b2c-env: Microsoft Graph beta endpoint (default "+b2cgraph.DefaultBaseURL+")")
		fs.StringVar(&o.Location, "location", "", "Azure region of the Function App, to check it offers runtime custom on Flex Consumption")
		fs.StringVar(&o.ARMURL, "arm", "", "with --location: Azure Resource Manager endpoint (default "+DefaultARMURL+")")
	}
	if err := cli.Parse(fs, args, stdout, stderr); err != nil {
		return err
	}
	o.Timeout = *timeout
	findings := Run(ctx, o)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			OK       bool      `json:"ok"`
			Findings []Finding `json:"findings"`
		}{OK(findings), findings}); err != nil {
			return err
		}
	} else {
		Write(stdout, findings)
	}
	if !OK(findings) {
		failed := 0
		for _, f := range findings {
			if f.Status == Fail {
				failed++
			}
		}
		return fmt.Errorf("%s: %d finding(s) to fix", name, failed)
	}
	return nil
}

// Write prints findings as text, one line each, with the fix under a failure.
func Write(w io.Writer, findings []Finding) {
	for _, f := range findings {
		line := fmt.Sprintf("%-4s  %-18s", strings.ToUpper(string(f.Status)), f.Check)
		if f.Subject != "" {
			line += "  " + f.Subject + ":"
		}
		fmt.Fprintln(w, line+" "+f.Detail)
		if f.Fix != "" {
			fmt.Fprintln(w, "      fix: "+f.Fix)
		}
	}
}
