package policy

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestRenderedFilesValidateAgainstSchema(t *testing.T) {
	xmllintOrSkip(t)
	schema := schemaOrSkip(t)
	settings, err := LoadSettings(filepath.Join(shippedDir(t), SettingsFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range settings.Environments {
		t.Run(env.Name, func(t *testing.T) {
			dir := rendered(t, env.Name)
			paths, err := filepath.Glob(filepath.Join(dir, "*.xml"))
			if err != nil || len(paths) == 0 {
				t.Fatalf("no rendered files (%v)", err)
			}
			slices.Sort(paths)
			for _, p := range paths {
				if err := Validate(context.Background(), schema, p); err != nil {
					t.Errorf("%s: %v", filepath.Base(p), err)
				}
			}
		})
	}
}

// The schema check must be able to fail: a file that breaks the schema is reported.
func TestValidateRejects(t *testing.T) {
	xmllintOrSkip(t)
	schema := schemaOrSkip(t)
	files := readDir(t, rendered(t, "Development"))
	tests := []struct {
		name     string
		old, new string
	}{
		{"bad schema version", `PolicySchemaVersion="0.3.0.0"`, `PolicySchemaVersion="0.3"`},
		{"unknown element", `<Description>Sign in with ID.me</Description>`, `<Descripton>Sign in with ID.me</Descripton>`},
		{"elements out of order", "<DisplayName>ID.me</DisplayName>\n          <Description>Sign in with ID.me</Description>",
			"<Description>Sign in with ID.me</Description>\n          <DisplayName>ID.me</DisplayName>"},
		{"unknown data type", `<DataType>stringCollection</DataType>`, `<DataType>stringList</DataType>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			broken := mutate(t, files, "TrustFrameworkExtensions.IdmeBridge.xml", tt.old, tt.new, 1)
			dir := writeFiles(t, broken)
			err := Validate(context.Background(), schema, filepath.Join(dir, "TrustFrameworkExtensions.IdmeBridge.xml"))
			if !errors.Is(err, ErrSchema) {
				t.Fatalf("Validate = %v, want ErrSchema", err)
			}
		})
	}
}

func TestValidateWithoutXmllint(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	err := Validate(context.Background(), "schema.xsd", "a.xml")
	if !errors.Is(err, ErrNoXmllint) {
		t.Fatalf("Validate = %v, want ErrNoXmllint", err)
	}
	if err := Validate(context.Background(), "schema.xsd"); err != nil {
		t.Errorf("Validate of no files = %v", err)
	}
}

// microsoftsPatterns are the three pattern facets of TrustFrameworkPolicy_0.3.0.0.xsd as the
// starter pack ships it, which libxml2 refuses to compile, and the XML Schema patterns they
// mean (the copy in shared/b2c/ the tests use has the latter).
var microsoftsPatterns = []struct{ shipped, xmlSchema string }{
	{`<xs:pattern value="^(http://|https://|~/)([\w.,@?^=%&amp;:~+#\-_$!’();]+/)*([\w.,@?^=%&amp;:~+#\-_$!’();]+/?)$" />`,
		`<xs:pattern value="(http://|https://|~/)([\w.,@?^=%&amp;:~+#\-_$!’();]+/)*([\w.,@?^=%&amp;:~+#\-_$!’();]+/?)" />`},
	{`<xs:pattern value="^urn:[a-z0-9][a-z0-9-]{0,31}:[a-z0-9()+,\/\-.:=@;$_!*'%\/?#]+$" />`,
		`<xs:pattern value="urn:[a-z0-9][a-z0-9-]{0,31}:[a-z0-9()+,/\-.:=@;$_!*'%/?#]+" />`},
	{`<xs:pattern value="^(https://)([\w.,@?^=%&amp;:~+#\-_$!’();]+/)*([\w.,@?^=%&amp;:~+#\-_$!’();]+/?)$" />`,
		`<xs:pattern value="(https://)([\w.,@?^=%&amp;:~+#\-_$!’();]+/)*([\w.,@?^=%&amp;:~+#\-_$!’();]+/?)" />`},
}

func TestLibxml2CompatibleRewritesMicrosoftsPatterns(t *testing.T) {
	for _, p := range microsoftsPatterns {
		if got := string(libxml2Compatible([]byte(p.shipped))); got != p.xmlSchema {
			t.Errorf("libxml2Compatible(%s)\n = %s\nwant %s", p.shipped, got, p.xmlSchema)
		}
		if got := string(libxml2Compatible([]byte(p.xmlSchema))); got != p.xmlSchema {
			t.Errorf("an XML Schema pattern changed: %s -> %s", p.xmlSchema, got)
		}
	}
}

// An administrator passes Microsoft's schema file as published: validation must work with it,
// and still reject a broken file.
func TestValidateWithMicrosoftsSchemaAsShipped(t *testing.T) {
	xmllintOrSkip(t)
	data, err := os.ReadFile(schemaOrSkip(t))
	if err != nil {
		t.Fatal(err)
	}
	shipped := string(data)
	for _, p := range microsoftsPatterns {
		if !strings.Contains(shipped, p.xmlSchema) {
			t.Fatalf("the test schema does not have %s", p.xmlSchema)
		}
		shipped = strings.Replace(shipped, p.xmlSchema, p.shipped, 1)
	}
	schema := filepath.Join(t.TempDir(), "TrustFrameworkPolicy_0.3.0.0.xsd")
	if err := os.WriteFile(schema, []byte(shipped), 0o600); err != nil {
		t.Fatal(err)
	}
	files := readDir(t, rendered(t, "Development"))
	good := writeFiles(t, files)
	if err := Validate(context.Background(), schema, filepath.Join(good, "TrustFrameworkExtensions.IdmeBridge.xml")); err != nil {
		t.Fatalf("Validate with Microsoft's schema as shipped: %v", err)
	}
	broken := writeFiles(t, mutate(t, files, "TrustFrameworkExtensions.IdmeBridge.xml", `PolicySchemaVersion="0.3.0.0"`, `PolicySchemaVersion="0.3"`, 1))
	if err := Validate(context.Background(), schema, filepath.Join(broken, "TrustFrameworkExtensions.IdmeBridge.xml")); !errors.Is(err, ErrSchema) {
		t.Fatalf("Validate of a broken file = %v, want ErrSchema", err)
	}
}
