package policy

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAgreesWithShippedSettings(t *testing.T) {
	tests := []struct{ env, issuer, client string }{
		{"Development", devIssuer, devClient},
		{"Production", "https://idme-bridge.azurewebsites.net", "b2c-contoso"},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			if err := Agrees(rendered(t, tt.env), tt.issuer, tt.client); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestAgreesFindsDisagreement(t *testing.T) {
	const metadata = `<Item Key="METADATA">https://idme-bridge-dev.azurewebsites.net/.well-known/openid-configuration</Item>`
	tests := []struct {
		name     string
		file     string // extFile unless set
		old, new string
		n        int
		issuer   string
		client   string
		want     []string
	}{
		{
			name: "wrong issuer in METADATA",
			old:  metadata, new: `<Item Key="METADATA">https://idme-bridge-test.azurewebsites.net/.well-known/openid-configuration</Item>`, n: 1,
			want: []string{"IdmeBridge-OIDC: METADATA", "IdmeBridge-OIDC-Military: METADATA", "idme-bridge-test"},
		},
		{
			name: "discovery under another path",
			old:  metadata, new: `<Item Key="METADATA">https://idme-bridge-dev.azurewebsites.net/oidc/.well-known/openid-configuration</Item>`, n: 1,
			want: []string{"METADATA"},
		},
		{
			name: "another client", client: "b2c-other",
			want: []string{`client_id is "b2c-contosodev", want "b2c-other"`},
		},
		{
			// It inherits METADATA; overriding it there alone must be caught too.
			name: "only the military profile points elsewhere", file: verifyFile,
			old:  "openid military</Item>\n          </Metadata>",
			new:  "openid military</Item><Item Key=\"METADATA\">https://elsewhere.example/.well-known/openid-configuration</Item></Metadata>",
			n:    1,
			want: []string{"IdmeBridge-OIDC-Military: METADATA", "elsewhere.example"},
		},
		{
			name: "implicit flow",
			old:  `<Item Key="response_types">code</Item>`, new: `<Item Key="response_types">id_token</Item>`, n: 1,
			want: []string{`response_types is "id_token"`},
		},
		{
			name: "fragment response mode",
			old:  `<Item Key="response_mode">form_post</Item>`, new: `<Item Key="response_mode">fragment</Item>`, n: 1,
			want: []string{`response_mode is "fragment"`},
		},
		{
			name: "scope without openid",
			old:  `<Item Key="scope">openid military</Item>`, new: `<Item Key="scope">military</Item>`, n: -1,
			file: verifyFile, want: []string{"IdmeBridge-OIDC-Military: scope", "lacks openid"},
		},
		{
			name: "bridge scope without openid",
			old:  `<Item Key="scope">openid military</Item>`, new: `<Item Key="scope">military</Item>`, n: -1,
			want: []string{"IdmeBridge-OIDC: scope", "lacks openid"},
		},
		{
			name: "private key JWT",
			old:  `<Item Key="token_endpoint_auth_method">client_secret_post</Item>`, new: `<Item Key="token_endpoint_auth_method">private_key_jwt</Item>`, n: 1,
			want: []string{`token_endpoint_auth_method is "private_key_jwt"`},
		},
		{
			name: "no client secret",
			old:  `Id="client_secret"`, new: `Id="assertion_signing_key"`, n: 1,
			want: []string{"no client_secret"},
		},
		{
			name: "GET binding",
			old:  `<Item Key="HttpBinding">POST</Item>`, new: `<Item Key="HttpBinding">GET</Item>`, n: 1,
			want: []string{`HttpBinding is "GET"`},
		},
	}
	files := readDir(t, rendered(t, "Development"))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			broken := files
			if tt.old != "" {
				file := extFile
				if tt.file != "" {
					file = tt.file
				}
				broken = mutate(t, files, file, tt.old, tt.new, tt.n)
			}
			issuer, client := devIssuer, devClient
			if tt.issuer != "" {
				issuer = tt.issuer
			}
			if tt.client != "" {
				client = tt.client
			}
			err := Agrees(writeFiles(t, broken), issuer, client)
			if !errors.Is(err, ErrDisagree) {
				t.Fatalf("Agrees = %v, want ErrDisagree", err)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not mention %s:\n%v", want, err)
				}
			}
		})
	}
}

func TestAgreesWithoutBridgeProfile(t *testing.T) {
	dir := rendered(t, "Development")
	if err := os.Remove(filepath.Join(dir, extFile)); err != nil {
		t.Fatal(err)
	}
	err := Agrees(dir, devIssuer, devClient)
	if !errors.Is(err, ErrDisagree) || !strings.Contains(err.Error(), "no OpenIdConnect technical profile") {
		t.Fatalf("Agrees = %v, want ErrDisagree for a missing profile", err)
	}
	if err := Agrees(t.TempDir(), devIssuer, devClient); err == nil {
		t.Error("Agrees accepted a folder without policy files")
	}
}

// The issuer is normalised as the bridge normalises BRIDGE_ISSUER: a trailing slash is not a
// disagreement and never produces "//.well-known".
func TestAgreesNormalisesIssuer(t *testing.T) {
	dir := writeFiles(t, readDir(t, rendered(t, "Development")))
	for _, issuer := range []string{devIssuer + "/", devIssuer + "//", " " + devIssuer} {
		if err := Agrees(dir, issuer, devClient); err != nil {
			t.Errorf("Agrees(%q) = %v", issuer, err)
		}
	}
}
