// Package keyadmin is the operator's `keys` command: create a signing key set, add a key that
// starts signing later, retire and prune old keys, and make a state-sealing key. Key sets are
// read from standard input (or --in) and written to standard output, ready to store as a new
// version of the Key Vault secret; what each command did goes to stderr.
package keyadmin

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"idmebridge/internal/cli"
	"idmebridge/internal/keys"
	"idmebridge/internal/seal"
)

const usage = `usage: handler keys <command> [flags]

commands:
  new       print a new key set with one key that signs at once
  add       add a key that starts signing after the lead time
  retire    stop publishing a key once its last token has expired
  prune     drop keys that are no longer published
  show      list the keys and their schedule
  state     print a new state-sealing key (base64)

add, retire, prune and show read the current set from stdin, or from --in FILE;
add, retire and prune print the new set: store it as the secret's new version.
"handler keys <command> -h" (or "handler help keys <command>") describes one command.
`

// Floors that keep a rotation safe: a new key must reach every instance (secrets refresh) and
// every relying party's JWKS cache before it signs, and a retired key must outlive its tokens.
const (
	minLead  = time.Hour
	minAfter = 15 * time.Minute
)

// env is what one keys command runs with.
type env struct {
	in             Input
	stdout, stderr io.Writer
	now            time.Time
}

// command is one keys subcommand: its usage text and what it does with its parsed flags.
type command struct {
	name  string
	usage string
	// flags declares the command's flags and returns what runs once they are parsed.
	flags func(fs *flag.FlagSet, e env) func() error
}

// Run executes one keys command.
func Run(args []string, in Input, stdout, stderr io.Writer, now time.Time) error {
	e := env{in: in, stdout: stdout, stderr: stderr, now: now}
	group := cli.NewFlagSet("keys", usage)
	name, rest, err := cli.Subcommand(group, args, stdout, stderr)
	if err != nil {
		return err
	}
	for _, c := range commands() {
		if c.name == name {
			fs := cli.NewFlagSet("keys "+c.name, c.usage)
			do := c.flags(fs, e)
			if err := cli.Parse(fs, rest, stdout, stderr); err != nil {
				return err
			}
			return do()
		}
	}
	return cli.Usage(group, stderr, fmt.Errorf("unknown command %q", name))
}

func commands() []command {
	return []command{
		{"new", `usage: handler keys new

Print a new private signing key set with one RSA-2048 key that signs at once.
Store it as the bridge-signing-keys secret.
`, newSet},
		{"add", `usage: handler keys add [--lead 72h] [--in FILE | --in -]

Add a key that is published at once and starts signing after the lead time, and print the new
set. Relying parties (B2C) must fetch the JWKS with the new key before it signs.
`, add},
		{"retire", `usage: handler keys retire --kid KID [--after 20m] [--in FILE | --in -]

Stop publishing key KID once the tokens it signed have expired, and print the new set. The key
must not be the one signing now: add a successor first and wait until it signs.
`, retire},
		{"prune", `usage: handler keys prune [--in FILE | --in -]

Drop the keys that are no longer published, and print the new set.
`, prune},
		{"show", `usage: handler keys show [--in FILE | --in -]

List the keys of a private key set: when each signs, until when it is published, and its state now.
`, show},
		{"state", `usage: handler keys state

Print a new 32-byte state-sealing key (base64). Store it as the bridge-state-key secret.
`, state},
	}
}

func newSet(_ *flag.FlagSet, e env) func() error {
	return func() error {
		out, err := keys.NewPrivateSet()
		if err != nil {
			return err
		}
		set, err := keys.Parse(out)
		if err != nil {
			return err
		}
		if err := write(e.stdout, out); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "new key set: %s signs from now\n", set.Keys()[0].KeyID)
		return nil
	}
}

func state(_ *flag.FlagSet, e env) func() error {
	return func() error {
		if _, err := fmt.Fprintln(e.stdout, seal.NewKey()); err != nil {
			return err
		}
		fmt.Fprintln(e.stderr, "new state-sealing key")
		return nil
	}
}

func add(fs *flag.FlagSet, e env) func() error {
	in := inFlag(fs)
	lead := fs.Duration("lead", 72*time.Hour, "how long the new key is published before it signs (at least 1h)")
	return func() error {
		if *lead < minLead {
			return cli.Usage(fs, e.stderr, fmt.Errorf("--lead %s is shorter than %s: instances and relying parties must see the key before it signs", *lead, minLead))
		}
		data, err := e.readSet("add", *in)
		if err != nil {
			return err
		}
		before, err := keys.Parse(data)
		if err != nil {
			return err
		}
		signsFrom := e.now.Add(*lead)
		out, newKid, err := keys.AddKey(data, signsFrom, e.now)
		if err != nil {
			return err
		}
		if err := write(e.stdout, out); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "added %s: published now, signs from %s\n", newKid, stamp(signsFrom))
		for _, k := range before.Keys() {
			// Of two keys with the same start only the first in the set ever signs: the usual
			// cause is running add twice.
			if sameSecond(k.SignsFrom, signsFrom) {
				fmt.Fprintf(e.stderr, "warning: %s already signs from %s; only one of the two will sign. "+
					"If this key was added by mistake (add run twice?), keep the input set instead.\n", k.KeyID, stamp(signsFrom))
			}
		}
		return nil
	}
}

func retire(fs *flag.FlagSet, e env) func() error {
	in := inFlag(fs)
	kid := fs.String("kid", "", "the `KID` of the key to retire (required; see keys show)")
	after := fs.Duration("after", 20*time.Minute, "how long it stays published: at least the token lifetime (at least 15m)")
	return func() error {
		if *kid == "" {
			return cli.Usage(fs, e.stderr, fmt.Errorf("--kid is required"))
		}
		if *after < minAfter {
			return cli.Usage(fs, e.stderr, fmt.Errorf("--after %s is shorter than %s: tokens it signed must expire first", *after, minAfter))
		}
		data, err := e.readSet("retire", *in)
		if err != nil {
			return err
		}
		until := e.now.Add(*after)
		if err := retireWaiting(data, *kid, until); err != nil {
			return err
		}
		out, err := keys.RetireKey(data, *kid, until, e.now)
		if err != nil {
			return err
		}
		if err := write(e.stdout, out); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "retired %s: published until %s, then prune it\n", *kid, stamp(until))
		return nil
	}
}

// retireWaiting explains why a key that has not started signing cannot be retired by --after:
// it would leave the JWKS before it ever signed. Nothing was signed with it, so the fix is the
// key set from before it was added.
func retireWaiting(data []byte, kid string, until time.Time) error {
	set, err := keys.Parse(data)
	if err != nil {
		return nil // keys.RetireKey reports it
	}
	for _, k := range set.Keys() {
		if k.KeyID == kid && !k.SignsFrom.IsZero() && !until.After(k.SignsFrom) {
			return fmt.Errorf("retire %s: the key has not started signing (it signs from %s), so it cannot be retired before then; "+
				"nothing was signed with it: to drop a key added by mistake, store the key set from before it was added", kid, stamp(k.SignsFrom))
		}
	}
	return nil
}

func prune(fs *flag.FlagSet, e env) func() error {
	in := inFlag(fs)
	return func() error {
		data, err := e.readSet("prune", *in)
		if err != nil {
			return err
		}
		out, removed, err := keys.PruneKeys(data, e.now)
		if err != nil {
			return err
		}
		if err := write(e.stdout, out); err != nil {
			return err
		}
		if len(removed) == 0 {
			fmt.Fprintln(e.stderr, "nothing to prune: every key is still published")
		} else {
			fmt.Fprintf(e.stderr, "removed %s\n", strings.Join(removed, ", "))
		}
		return nil
	}
}

func show(fs *flag.FlagSet, e env) func() error {
	in := inFlag(fs)
	return func() error {
		data, err := e.readSet("show", *in)
		if err != nil {
			return err
		}
		set, err := keys.Parse(data)
		if err != nil {
			return err
		}
		return table(e.stdout, set, e.now)
	}
}

func inFlag(fs *flag.FlagSet) *string {
	return fs.String("in", "", "read the key set from `FILE`; - or nothing for stdin")
}

func write(w io.Writer, out []byte) error {
	_, err := fmt.Fprintln(w, string(out))
	return err
}

func table(w io.Writer, set *keys.Set, now time.Time) error {
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
	return stamp(t)
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// sameSecond compares at the key set's precision (unix seconds).
func sameSecond(a, b time.Time) bool { return !a.IsZero() && a.Unix() == b.Unix() }
