package keyadmin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// maxSet bounds what is read: a key set of a few RSA keys is a few kilobytes.
const maxSet = 1 << 20

// Input is where a key set is read from when --in is not a file: standard input.
type Input struct {
	io.Reader
	// IsTerminal reports whether a person rather than a pipe or file is on the other end,
	// in which case nothing will arrive unless they paste it.
	IsTerminal func() bool
}

// Stdin is the process's standard input. A terminal is a character device; so is /dev/null,
// which is empty input rather than a person who might type.
func Stdin(f *os.File) Input {
	return Input{Reader: f, IsTerminal: func() bool {
		st, err := f.Stat()
		if err != nil || st.Mode()&os.ModeCharDevice == 0 {
			return false
		}
		null, err := os.Stat(os.DevNull)
		return err != nil || !os.SameFile(st, null)
	}}
}

func (in Input) terminal() bool { return in.IsTerminal != nil && in.IsTerminal() }

// readSet reads the private key set for command cmd from the file named by from, or from stdin
// when from is "" or "-", and refuses what is plainly not a private set before the key library
// sees it, so the operator reads what is wrong rather than a parser's message.
func (e env) readSet(cmd, from string) ([]byte, error) {
	var r io.Reader = e.in
	source := "stdin"
	switch {
	case from == "" && e.in.terminal():
		return nil, fmt.Errorf("keys %s reads the key set from stdin, and stdin is a terminal: "+
			"pipe the set in (handler keys %s < keys.json), give --in FILE, or --in - to paste it", cmd, cmd)
	case from == "-" && e.in.terminal():
		fmt.Fprintln(e.stderr, "paste the key set, then press Ctrl+D")
	case from != "" && from != "-":
		f, err := os.Open(from)
		if err != nil {
			return nil, fmt.Errorf("read the key set: %w", err)
		}
		defer f.Close()
		r, source = f, from
	}
	data, err := io.ReadAll(io.LimitReader(r, maxSet+1))
	if err != nil {
		return nil, fmt.Errorf("read the key set from %s: %w", source, err)
	}
	if len(data) > maxSet {
		return nil, fmt.Errorf("the input from %s is larger than %d bytes: not a key set", source, maxSet)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("no key set on input (%s is empty)", source)
	}
	if err := checkPrivate(data); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	return data, nil
}

// errPublicSet is the JWKS the bridge publishes (or a copy of it) given where the secret is needed.
var errPublicSet = errors.New("this is a public JWKS (no private key material); give the private key set from the secret (bridge-signing-keys)")

// errNotASet is input that is not a JWK set at all.
var errNotASet = errors.New(`not a key set: a JWK set is a JSON object {"keys":[...]}, as keys new prints it`)

// checkPrivate refuses what is not a {"keys":[...]} object, and a set none or only some of
// whose RSA keys carry the private exponent. Problems inside the keys are left to the key
// library to describe.
func checkPrivate(data []byte) error {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return fmt.Errorf("%w (%w)", errNotASet, err)
	}
	if _, ok := top["keys"]; !ok {
		if _, single := top["kty"]; single {
			return fmt.Errorf("%w; this is a single JWK", errNotASet)
		}
		return errNotASet
	}
	var set struct {
		Keys []map[string]json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil || len(set.Keys) == 0 {
		return nil
	}
	var public []string
	for i, k := range set.Keys {
		if _, ok := k["d"]; !ok {
			kid := string(k["kid"])
			if kid == "" {
				kid = fmt.Sprintf("number %d", i+1)
			}
			public = append(public, kid)
		}
	}
	switch {
	case len(public) == len(set.Keys):
		return errPublicSet
	case len(public) > 0:
		return fmt.Errorf("key %s has no private key material: give the private key set from the secret (bridge-signing-keys)", public[0])
	}
	return nil
}
