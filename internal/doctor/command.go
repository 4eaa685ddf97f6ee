package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"idmebridge/internal/cli"
	"idmebridge/internal/config"
)

var usages = map[string]string{
	"check": `usage: handler check [--json]

Read the settings from the environment exactly as serve does and report every problem with its
fix (exit status 1 when any fails). Offline: nothing is fetched from ID.me, Key Vault or Blob.
`,
	"doctor": `usage: handler doctor [--json] [--timeout D]

Read the same settings as serve, then check everything they point at: ID.me's discovery and
the registered callback (a harmless authorize probe), Key Vault and each named secret (values
are never printed), the signing key set, Blob Storage, and each client's secret. Every finding
comes with its fix; the exit status is 0 only when all pass.
`,
}

// Command is the `doctor` command (every check) and the `check` command (the offline subset):
// the findings as text, or as JSON with --json; an error when any failed.
func Command(ctx context.Context, name string, args []string, lookup config.Lookup, stdout, stderr io.Writer) error {
	fs := cli.NewFlagSet(name, usages[name])
	asJSON := fs.Bool("json", false, "print the findings as JSON")
	timeout := new(time.Duration)
	*timeout = 10 * time.Second
	if name == "doctor" { // check is offline: it calls nothing
		fs.DurationVar(timeout, "timeout", *timeout, "limit on each outbound call")
	}
	if err := cli.Parse(fs, args, stdout, stderr); err != nil {
		return err
	}
	findings := Run(ctx, Options{Lookup: lookup, Offline: name == "check", Timeout: *timeout})
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
