package policy

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// patternFacet is an xs:pattern facet and its value.
var patternFacet = regexp.MustCompile(`(<xs:pattern\s+value=")([^"]*)(")`)

// xmllintSchema returns the schema with the pattern facets libxml2 cannot compile written the
// XML Schema way. Microsoft's TrustFrameworkPolicy_0.3.0.0.xsd, as the starter pack ships it,
// writes three URI patterns in .NET style: anchored with ^...$ (an XML Schema pattern always
// matches the whole value, and ^ and $ are not anchors there) and with \/ (an escape XML
// Schema does not have). xmllint then refuses the whole schema ("WXS schema failed to
// compile"), so an administrator passing Microsoft's file would get no validation at all.
func xmllintSchema(xsd []byte) []byte {
	return patternFacet.ReplaceAllFunc(xsd, func(m []byte) []byte {
		sub := patternFacet.FindSubmatch(m)
		v := string(sub[2])
		if len(v) > 1 && strings.HasPrefix(v, "^") && strings.HasSuffix(v, "$") {
			v = v[1 : len(v)-1]
		}
		v = strings.ReplaceAll(v, `\/`, "/")
		return append(append(append([]byte{}, sub[1]...), v...), sub[3]...)
	})
}

// schemaForXmllint returns a path xmllint can compile: schemaPath itself, or a copy with its
// patterns rewritten by xmllintSchema, and a function that removes the copy.
func schemaForXmllint(schemaPath string) (string, func(), error) {
	data, err := os.ReadFile(schemaPath)
	if err != nil {
		return "", nil, fmt.Errorf("policy: read schema: %w", err)
	}
	fixed := xmllintSchema(data)
	if bytes.Equal(fixed, data) {
		return schemaPath, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "policy-schema-")
	if err != nil {
		return "", nil, fmt.Errorf("policy: temporary folder for the schema: %w", err)
	}
	cleanup := func() { _ = os.RemoveAll(dir) }
	path := filepath.Join(dir, filepath.Base(schemaPath))
	if err := os.WriteFile(path, fixed, 0o600); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("policy: write schema copy: %w", err)
	}
	return path, cleanup, nil
}
