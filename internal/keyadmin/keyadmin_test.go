package keyadmin

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"idmebridge/internal/cli"
	"idmebridge/internal/keys"
)

var t0 = time.Unix(1_800_000_000, 0)

type result struct {
	out, errOut string
	err         error
}

// runKeys runs one keys command with in piped to it (a pipe, not a terminal).
func runKeys(args []string, in string, now time.Time) result {
	return runWith(args, Input{Reader: strings.NewReader(in), IsTerminal: func() bool { return false }}, now)
}

func runWith(args []string, in Input, now time.Time) result {
	var out, errOut bytes.Buffer
	err := Run(args, in, &out, &errOut, now)
	return result{out.String(), errOut.String(), err}
}

func freshSet(t *testing.T) string {
	t.Helper()
	r := runKeys([]string{"new"}, "", t0)
	if r.err != nil {
		t.Fatal(r.err)
	}
	if !strings.Contains(r.errOut, "new key set: ") || !strings.Contains(r.errOut, "signs from now") {
		t.Errorf("keys new said %q", r.errOut)
	}
	return r.out
}

// TestRotationByCommand rotates a key set the way an operator would, through the command, and
// checks that each step says what it did.
func TestRotationByCommand(t *testing.T) {
	set1 := freshSet(t)
	s1, _ := keys.Parse([]byte(set1))
	oldKid := s1.Keys()[0].KeyID

	r := runKeys([]string{"add", "--lead", "48h"}, set1, t0)
	if r.err != nil {
		t.Fatal(r.err)
	}
	s2, _ := keys.Parse([]byte(r.out))
	if len(s2.Keys()) != 2 || s2.SigningKeyID(t0, 0) != oldKid {
		t.Fatalf("after add: %+v, signer %s", s2.Keys(), s2.SigningKeyID(t0, 0))
	}
	newKid := s2.Keys()[1].KeyID
	if want := "added " + newKid + ": published now, signs from " + stamp(t0.Add(48*time.Hour)); !strings.Contains(r.errOut, want) {
		t.Errorf("add said %q, want %q", r.errOut, want)
	}
	if strings.Contains(r.errOut, "warning") {
		t.Errorf("add warned without cause: %q", r.errOut)
	}
	set2 := r.out
	if r := runKeys([]string{"show"}, set2, t0); !strings.Contains(r.out, newKid) || !strings.Contains(r.out, "waiting to sign") {
		t.Fatalf("show:\n%s", r.out)
	}
	if r := runKeys([]string{"retire", "--kid", oldKid}, set2, t0); r.err == nil {
		t.Fatal("retired the key that signs now")
	}
	// A key that has not signed yet cannot leave before it starts; the error says what to do.
	if r := runKeys([]string{"retire", "--kid", newKid}, set2, t0); r.err == nil || !strings.Contains(r.err.Error(), "has not started signing") ||
		!strings.Contains(r.err.Error(), "from before it was added") {
		t.Fatalf("retire of a waiting key: %v", r.err)
	}
	t1 := t0.Add(48 * time.Hour)
	r = runKeys([]string{"retire", "--kid", oldKid, "--after", "20m"}, set2, t1)
	if r.err != nil {
		t.Fatal(r.err)
	}
	if want := "retired " + oldKid + ": published until " + stamp(t1.Add(20*time.Minute)); !strings.Contains(r.errOut, want) {
		t.Errorf("retire said %q, want %q", r.errOut, want)
	}
	set3 := r.out
	if r := runKeys([]string{"prune"}, set3, t1); r.err != nil || !strings.Contains(r.errOut, "nothing to prune") {
		t.Errorf("early prune: %v, said %q", r.err, r.errOut)
	}
	r = runKeys([]string{"prune"}, set3, t1.Add(21*time.Minute))
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.errOut != "removed "+oldKid+"\n" {
		t.Errorf("prune said %q", r.errOut)
	}
	s4, _ := keys.Parse([]byte(r.out))
	if len(s4.Keys()) != 1 || s4.Keys()[0].KeyID != newKid {
		t.Fatalf("after prune: %+v", s4.Keys())
	}
}

// TestAddWarnsOnSameStart: running add twice gives two keys with one start, of which only one
// can ever sign.
func TestAddWarnsOnSameStart(t *testing.T) {
	once := runKeys([]string{"add"}, freshSet(t), t0)
	if once.err != nil {
		t.Fatal(once.err)
	}
	twice := runKeys([]string{"add"}, once.out, t0)
	if twice.err != nil {
		t.Fatal(twice.err)
	}
	first, _ := keys.Parse([]byte(once.out))
	want := "warning: " + first.Keys()[1].KeyID + " already signs from " + stamp(t0.Add(72*time.Hour))
	if !strings.Contains(twice.errOut, want) {
		t.Errorf("second add said %q, want %q", twice.errOut, want)
	}
	if later := runKeys([]string{"add", "--lead", "96h"}, once.out, t0); strings.Contains(later.errOut, "warning") {
		t.Errorf("add with a different start warned: %q", later.errOut)
	}
}

// failingReader fails the test if the command reads it: a command must not wait on a terminal.
type failingReader struct{ t *testing.T }

func (f failingReader) Read([]byte) (int, error) {
	f.t.Error("read stdin although it is a terminal and nothing was given")
	return 0, errors.New("terminal")
}

func TestInput(t *testing.T) {
	private := freshSet(t)
	set, err := keys.Parse([]byte(private))
	if err != nil {
		t.Fatal(err)
	}
	published, _, err := set.JWKS(t0) // what /.well-known/jwks.json serves
	if err != nil {
		t.Fatal(err)
	}
	added := runKeys([]string{"add"}, private, t0).out
	mixed := strings.Replace(added, `"d":`, `"not_d":`, 1)
	file := filepath.Join(t.TempDir(), "keys.json")
	if err := os.WriteFile(file, []byte(private), 0o600); err != nil {
		t.Fatal(err)
	}
	terminal := func() bool { return true }
	pipe := func() bool { return false }

	tests := []struct {
		name    string
		args    []string
		in      Input
		wantErr string // "" for success
		wantOut string
	}{
		{"terminal and no --in", []string{"show"}, Input{failingReader{t}, terminal}, "stdin is a terminal: pipe the set in", ""},
		{"terminal with --in -", []string{"show", "--in", "-"}, Input{strings.NewReader(private), terminal}, "", "signing"},
		{"pipe", []string{"show"}, Input{strings.NewReader(private), pipe}, "", "signing"},
		{"pipe with --in -", []string{"show", "--in", "-"}, Input{strings.NewReader(private), pipe}, "", "signing"},
		{"file", []string{"show", "--in", file}, Input{failingReader{t}, terminal}, "", "signing"},
		{"missing file", []string{"show", "--in", file + ".missing"}, Input{failingReader{t}, terminal}, "no such file", ""},
		{"empty", []string{"show"}, Input{strings.NewReader(""), pipe}, "no key set on input", ""},
		{"blank", []string{"add"}, Input{strings.NewReader(" \n\t\n"), pipe}, "no key set on input", ""},
		{"public JWKS", []string{"show"}, Input{bytes.NewReader(published), pipe}, "this is a public JWKS (no private key material); give the private key set from the secret", ""},
		{"public JWKS to add", []string{"add"}, Input{bytes.NewReader(published), pipe}, "this is a public JWKS", ""},
		{"public JWKS to retire", []string{"retire", "--kid", "x"}, Input{bytes.NewReader(published), pipe}, "this is a public JWKS", ""},
		{"public JWKS to prune", []string{"prune"}, Input{bytes.NewReader(published), pipe}, "this is a public JWKS", ""},
		{"one key public", []string{"show"}, Input{strings.NewReader(mixed), pipe}, "has no private key material", ""},
		{"too large", []string{"show"}, Input{bytes.NewReader(make([]byte, maxSet+1)), pipe}, "larger than", ""},
		{"broken JSON", []string{"show"}, Input{strings.NewReader("{not json"), pipe}, "not a key set", ""},
		{"JSON without keys", []string{"show"}, Input{strings.NewReader(`{"not":"jwks"}`), pipe}, `not a key set: a JWK set is a JSON object {"keys":[...]}`, ""},
		{"a single JWK", []string{"add"}, Input{strings.NewReader(`{"kty":"RSA","n":"x","e":"AQAB"}`), pipe}, "this is a single JWK", ""},
		{"no keys", []string{"show"}, Input{strings.NewReader(`{"keys":[]}`), pipe}, "no keys", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runWith(tt.args, tt.in, t0)
			if tt.wantErr == "" {
				if r.err != nil || !strings.Contains(r.out, tt.wantOut) {
					t.Fatalf("err %v, out %q", r.err, r.out)
				}
				return
			}
			if r.err == nil || !strings.Contains(r.err.Error(), tt.wantErr) {
				t.Fatalf("err %v, want one saying %q", r.err, tt.wantErr)
			}
		})
	}
	if r := runWith([]string{"show", "--in", "-"}, Input{strings.NewReader(private), terminal}, t0); !strings.Contains(r.errOut, "paste the key set") {
		t.Errorf("reading a terminal without a prompt: %q", r.errOut)
	}
}

// TestConventions: -h and --help print the usage to stdout and succeed; an unknown flag, a bad
// value or an extra argument is a usage error with the usage on stderr.
func TestConventions(t *testing.T) {
	for _, c := range commands() {
		usage := "usage: handler keys " + c.name
		for _, args := range [][]string{{c.name, "-h"}, {c.name, "--help"}, {"help", c.name}} {
			r := runKeys(args, "", t0)
			if !errors.Is(r.err, cli.ErrHelp) || !strings.HasPrefix(r.out, usage) || r.errOut != "" {
				t.Errorf("keys %v: err %v, stdout %q, stderr %q", args, r.err, r.out, r.errOut)
			}
		}
		for _, args := range [][]string{{c.name, "--bogus"}, {c.name, "extra"}, {c.name, "--in", "f", "extra"}} {
			r := runKeys(args, "", t0)
			var usageErr *cli.UsageError
			if !errors.As(r.err, &usageErr) || !strings.HasPrefix(r.errOut, usage) || r.out != "" {
				t.Errorf("keys %v: err %v, stdout %q, stderr %q", args, r.err, r.out, r.errOut)
			}
		}
	}
	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}} {
		if r := runKeys(args, "", t0); !errors.Is(r.err, cli.ErrHelp) || !strings.HasPrefix(r.out, "usage: handler keys <command>") {
			t.Errorf("keys %v: err %v, stdout %q", args, r.err, r.out)
		}
	}
	for _, args := range [][]string{{}, {"bogus"}, {"help", "bogus"}, {"--bogus"}, {"retire"}, {"add", "--lead", "soon"},
		{"add", "--lead", "1m"}, {"retire", "--kid", "k", "--after", "1m"}} {
		r := runKeys(args, "", t0)
		var usageErr *cli.UsageError
		if !errors.As(r.err, &usageErr) || !strings.Contains(r.errOut, "usage: handler keys") {
			t.Errorf("keys %v: err %v, stderr %q", args, r.err, r.errOut)
		}
	}
}
