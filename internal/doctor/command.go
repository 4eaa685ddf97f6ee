package doctor

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"idmebridge/internal/config"
)

// Command is the `doctor` command (every check) and the `check` command (the offline subset):
// the findings as text, or as JSON with --json; an error when any failed.
func Command(ctx context.Context, name string, args []string, lookup config.Lookup, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the findings as JSON")
	timeout := fs.Duration("timeout", 10*time.Second, "limit on each outbound call")
	if err := fs.Parse(args); err != nil {
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
