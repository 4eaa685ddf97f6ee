package policy

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
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
