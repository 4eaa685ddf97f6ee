package policy

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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
	schema, cleanup, err := libxml2Schema(schemaPath)
	if err != nil {
		return err
	}
	defer cleanup()
	args := append([]string{"--noout", "--schema", schema}, paths...)
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			return fmt.Errorf("policy: run xmllint: %w", err)
		}
		text := strings.TrimSpace(string(out))
		if strings.Contains(text, "failed to compile") {
			return fmt.Errorf("policy: xmllint cannot read the schema %s (is it Microsoft's TrustFrameworkPolicy_0.3.0.0.xsd?):\n%s", schemaPath, text)
		}
		return fmt.Errorf("%w:\n%s", ErrSchema, text)
	}
	return nil
}

// schemaPattern matches an xs:pattern facet's value.
var schemaPattern = regexp.MustCompile(`(<xs:pattern\s+value=")([^"]*)(")`)

// libxml2Compatible rewrites the pattern facets of Microsoft's published schema (the starter
// pack's TrustFrameworkPolicy_0.3.0.0.xsd) that libxml2 refuses to compile: XML Schema
// patterns are anchored already and have no ^ or $ anchors, and "\/" is no XML Schema escape.
// The rewritten patterns mean what Microsoft's were written to mean.
func libxml2Compatible(xsd []byte) []byte {
	return schemaPattern.ReplaceAllFunc(xsd, func(m []byte) []byte {
		parts := schemaPattern.FindSubmatch(m)
		v := string(parts[2])
		v = strings.TrimPrefix(v, "^")
		if strings.HasSuffix(v, "$") && !strings.HasSuffix(v, "\\$") {
			v = strings.TrimSuffix(v, "$")
		}
		v = strings.ReplaceAll(v, `\/`, "/")
		return []byte(string(parts[1]) + v + string(parts[3]))
	})
}

// libxml2Schema returns a schema path xmllint can compile: schemaPath itself, or a temporary
// copy with libxml2Compatible's rewrites (removed by cleanup) when the file needs them.
func libxml2Schema(schemaPath string) (path string, cleanup func(), err error) {
	data, err := os.ReadFile(schemaPath)
	if err != nil {
		return "", nil, fmt.Errorf("policy: read schema: %w", err)
	}
	fixed := libxml2Compatible(data)
	if string(fixed) == string(data) {
		return schemaPath, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "policy-schema-")
	if err != nil {
		return "", nil, fmt.Errorf("policy: temporary folder for the schema: %w", err)
	}
	path = filepath.Join(dir, filepath.Base(schemaPath))
	if err := os.WriteFile(path, fixed, 0o600); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("policy: write the schema copy: %w", err)
	}
	return path, func() { os.RemoveAll(dir) }, nil
}
