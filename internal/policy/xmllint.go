package policy

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// ErrNoXmllint is wrapped when xmllint is not installed.
var ErrNoXmllint = errors.New("policy: xmllint not found (apt-get install libxml2-utils)")

// ErrSchema is wrapped when a file does not validate against the schema.
var ErrSchema = errors.New("policy: schema validation failed")

// Validate checks each file against Microsoft's TrustFrameworkPolicy schema (the .xsd at
// schemaPath) with libxml2's xmllint: Go's standard library has no XML Schema validator, and
// xmllint is in every Linux distribution. Microsoft's schema as published does not compile in
// libxml2 as it stands; xmllint gets a copy with those patterns rewritten (xmllintSchema).
func Validate(ctx context.Context, schemaPath string, paths ...string) error {
	if len(paths) == 0 {
		return nil
	}
	bin, err := exec.LookPath("xmllint")
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNoXmllint, err)
	}
	schema, cleanup, err := schemaForXmllint(schemaPath)
	if err != nil {
		return err
	}
	defer cleanup()
	args := append([]string{"--noout", "--schema", schema}, paths...)
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return fmt.Errorf("%w:\n%s", ErrSchema, strings.TrimSpace(string(out)))
		}
		return fmt.Errorf("policy: run xmllint: %w", err)
	}
	return nil
}
