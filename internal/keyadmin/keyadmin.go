// Package keyadmin is the operator's `keys` command: create a signing key set, add a key that
// starts signing later, retire and prune old keys, and make a state-sealing key. Key sets are
// read from standard input (or --in) and written to standard output, ready to store as a new
// version of the Key Vault secret.
package keyadmin

import (
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"idmebridge/internal/keys"
	"idmebridge/internal/seal"
)

const usage = `usage: handler keys <command> [flags]

  new                       print a new key set with one key that signs at once
  add    [--lead 72h]       add a key that starts signing after the lead time
  retire --kid KID [--after 20m]
                            stop publishing KID once its last token has expired
  prune                     drop keys that are no longer published
  show                      list the keys and their schedule
  state                     print a new state-sealing key (base64)

add, retire, prune and show read the current set from stdin (or --in FILE);
add, retire and prune print the new set: store it as the secret's new version.
`

// Floors that keep a rotation safe: a new key must reach every instance (secrets refresh) and
// every relying party's JWKS cache before it signs, and a retired key must outlive its tokens.
const (
	minLead  = time.Hour
	minAfter = 15 * time.Minute
)

// Run executes one keys command.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer, now time.Time) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("keys: a command is required")
	}
	cmd, args := args[0], args[1:]
	fs := flag.NewFlagSet("keys "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	in := fs.String("in", "", "read the key set from this file instead of stdin")
	lead := fs.Duration("lead", 72*time.Hour, "add: how long the new key is published before it signs")
	kid := fs.String("kid", "", "retire: the key to retire")
	after := fs.Duration("after", 20*time.Minute, "retire: how long it stays published (at least the token lifetime)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	read := func() ([]byte, error) {
		if *in != "" {
			return os.ReadFile(*in)
		}
		return io.ReadAll(io.LimitReader(stdin, 1<<20))
	}
	switch cmd {
	case "new":
		out, err := keys.NewPrivateSet()
		return write(stdout, out, err)
	case "state":
		_, err := fmt.Fprintln(stdout, seal.NewKey())
		return err
	case "add":
		data, err := read()
		if err != nil {
			return err
		}
		if *lead < minLead {
			return fmt.Errorf("keys add: --lead %s is shorter than %s: instances and relying parties must see the key before it signs", *lead, minLead)
		}
		out, newKid, err := keys.AddKey(data, now.Add(*lead), now)
		if err == nil {
			fmt.Fprintf(stderr, "added %s, signing from %s\n", newKid, now.Add(*lead).UTC().Format(time.RFC3339))
		}
		return write(stdout, out, err)
	case "retire":
		if *kid == "" {
			return fmt.Errorf("keys retire: --kid is required")
		}
		data, err := read()
		if err != nil {
			return err
		}
		if *after < minAfter {
			return fmt.Errorf("keys retire: --after %s is shorter than %s: tokens it signed must expire first", *after, minAfter)
		}
		out, err := keys.RetireKey(data, *kid, now.Add(*after), now)
		return write(stdout, out, err)
	case "prune":
		data, err := read()
		if err != nil {
			return err
		}
		out, removed, err := keys.PruneKeys(data, now)
		if err == nil {
			fmt.Fprintf(stderr, "removed %v\n", removed)
		}
		return write(stdout, out, err)
	case "show":
		data, err := read()
		if err != nil {
			return err
		}
		set, err := keys.Parse(data)
		if err != nil {
			return err
		}
		return show(stdout, set, now)
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("keys: unknown command %q", cmd)
	}
}

func write(w io.Writer, out []byte, err error) error {
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(out))
	return err
}

func show(w io.Writer, set *keys.Set, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KID\tSIGNS FROM\tPUBLISHED UNTIL\tNOW")
	signer := set.SigningKeyID(now, 0)
	for _, k := range set.Keys() {
		state := "published"
		switch {
		case k.KeyID == signer:
			state = "signing"
		case !k.PublishedUntil.IsZero() && !now.Before(k.PublishedUntil):
			state = "retired (prune it)"
		case k.SignsFrom.After(now):
			state = "waiting to sign"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k.KeyID, when(k.SignsFrom, "always"), when(k.PublishedUntil, "-"), state)
	}
	return tw.Flush()
}

func when(t time.Time, zero string) string {
	if t.IsZero() {
		return zero
	}
	return t.UTC().Format(time.RFC3339)
}
