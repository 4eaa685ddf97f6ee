package policy

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLibxml2Compatible(t *testing.T) {
	tests := []struct{ in, want string }{
		// Microsoft's published schema, as in the starter pack.
		{`<xs:pattern value="^(https://)([\w.]+/)*$" />`, `<xs:pattern value="(https://)([\w.]+/)*" />`},
		{`<xs:pattern value="^urn:[a-z0-9()+,\/\-.:=@;$_!*'%\/?#]+$" />`, `<xs:pattern value="urn:[a-z0-9()+,/\-.:=@;$_!*'%/?#]+" />`},
		// Patterns libxml2 compiles are left alone, an escaped dollar too.
		{`<xs:pattern value="[0-9]+" />`, `<xs:pattern value="[0-9]+" />`},
		{`<xs:pattern value="a\$" />`, `<xs:pattern value="a\$" />`},
		{`<xs:documentation>^a$</xs:documentation>`, `<xs:documentation>^a$</xs:documentation>`},
	}
	for _, tt := range tests {
		if got := string(libxml2Compatible([]byte(tt.in))); got != tt.want {
			t.Errorf("libxml2Compatible(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// A schema written the way Microsoft publishes its patterns validates (and still rejects), and
// one xmllint cannot compile at all says so instead of reporting a validation failure.
func TestValidateMicrosoftPatterns(t *testing.T) {
	xmllintOrSkip(t)
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	schema := write("published.xsd", `<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="uri"><xs:simpleType><xs:restriction base="xs:string">
    <xs:pattern value="^urn:[a-z0-9()+,\/\-.:=@;$_!*'%\/?#]+$" />
  </xs:restriction></xs:simpleType></xs:element>
</xs:schema>`)
	good := write("good.xml", `<uri>urn:a/b</uri>`)
	bad := write("bad.xml", `<uri>https://a/b</uri>`)
	if err := Validate(context.Background(), schema, good); err != nil {
		t.Fatalf("Validate(good) = %v", err)
	}
	if err := Validate(context.Background(), schema, bad); !errors.Is(err, ErrSchema) {
		t.Fatalf("Validate(bad) = %v, want ErrSchema", err)
	}
	broken := write("broken.xsd", `<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="uri"><xs:simpleType><xs:restriction base="xs:string">
    <xs:pattern value="[a" />
  </xs:restriction></xs:simpleType></xs:element>
</xs:schema>`)
	err := Validate(context.Background(), broken, good)
	if err == nil || errors.Is(err, ErrSchema) || !strings.Contains(err.Error(), "cannot read the schema") {
		t.Fatalf("Validate(broken schema) = %v", err)
	}
}
