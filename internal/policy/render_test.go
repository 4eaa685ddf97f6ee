package policy

import (
	"bytes"
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestRenderShippedEnvironments(t *testing.T) {
	tests := []struct {
		env      string
		contains []string
	}{
		{"Development", []string{
			`TenantId="contosodev.onmicrosoft.com"`,
			`<Item Key="METADATA">https://idme-bridge-dev.azurewebsites.net/.well-known/openid-configuration</Item>`,
			`<Item Key="client_id">b2c-contosodev</Item>`,
			`StorageReferenceId="B2C_1A_IdmeBridgeSecret"`,
			`<Item Key="scope">openid military</Item>`,
			`https://contosodev.b2clogin.com/contosodev.onmicrosoft.com/oauth2/authresp`,
		}},
		{"Production", []string{
			`TenantId="contoso.onmicrosoft.com"`,
			`<Item Key="METADATA">https://idme-bridge.azurewebsites.net/.well-known/openid-configuration</Item>`,
			`<Item Key="client_id">b2c-contoso</Item>`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			files := readDir(t, rendered(t, tt.env))
			if len(files) != 8 {
				t.Errorf("rendered %d files, want 8 (extensions, sign-in, link, unlink, four communities)", len(files))
			}
			var all strings.Builder
			for name, data := range files {
				if bytes.Contains(data, []byte("{Settings:")) || bytes.Contains(data, []byte("{Community:")) {
					t.Errorf("%s still holds a token", name)
				}
				all.Write(data)
			}
			for _, want := range tt.contains {
				if !strings.Contains(all.String(), want) {
					t.Errorf("rendered files lack %s", want)
				}
			}
		})
	}
}

// copyShipped copies policies/ into a temporary folder with appsettings.json replaced.
func copyShipped(t *testing.T, settings string) string {
	t.Helper()
	dir := t.TempDir()
	files := readDir(t, shippedDir(t))
	if err := writeDir(dir, files); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, SettingsFile), []byte(settings), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestRenderRefuses(t *testing.T) {
	const full = testSettings
	tests := []struct {
		name     string
		settings string
		env      string
		wantErr  error
		wantText []string
	}{
		{
			name:     "missing setting",
			settings: `{"Environments":[{"Name":"Dev","Tenant":"c.onmicrosoft.com","PolicySettings":{` + strings.Replace(full, `"BridgeClientId": "id",`, ``, 1) + `}}]}`,
			env:      "Dev",
			wantErr:  ErrMissingSettings,
			wantText: []string{"{Settings:BridgeClientId}", "TrustFrameworkExtensions.IdmeBridge.xml", `"Dev"`},
		},
		{
			name:     "empty setting counts as missing",
			settings: `{"Environments":[{"Name":"Dev","Tenant":"c.onmicrosoft.com","PolicySettings":{` + strings.Replace(full, `"military"`, `"  "`, 1) + `}}]}`,
			env:      "Dev",
			wantErr:  ErrMissingSettings,
			wantText: []string{"{Settings:IdmeScopes}"},
		},
		{
			name:     "missing tenant",
			settings: `{"Environments":[{"Name":"Dev","PolicySettings":{` + full + `, "Tenant": "not.used.here"}}]}`,
			env:      "Dev",
			wantErr:  ErrMissingSettings,
			wantText: []string{"{Settings:Tenant}", "SignUpOrSignInWithIdme.xml", "VerifyMilitaryWithIdme.xml"},
		},
		{
			name:     "unknown environment",
			settings: `{"Environments":[{"Name":"Dev","Tenant":"c.onmicrosoft.com","PolicySettings":{` + full + `}},{"Name":"Prod","Tenant":"p.onmicrosoft.com","PolicySettings":{` + full + `}}]}`,
			env:      "Staging",
			wantErr:  ErrUnknownEnvironment,
			wantText: []string{`"Staging"`, "Dev, Prod"},
		},
		{
			name:     "environment names are exact",
			settings: `{"Environments":[{"Name":"Dev","Tenant":"c.onmicrosoft.com","PolicySettings":{` + full + `}}]}`,
			env:      "dev",
			wantErr:  ErrUnknownEnvironment,
		},
		{
			name:     "duplicate environment",
			settings: `{"Environments":[{"Name":"Dev","Tenant":"c.onmicrosoft.com"},{"Name":"Dev","Tenant":"d.onmicrosoft.com"}]}`,
			env:      "Dev",
			wantText: []string{`"Dev" appears twice`},
		},
		{
			name:     "no environments",
			settings: `{"Environments":[]}`,
			env:      "Dev",
			wantText: []string{"no Environments"},
		},
		{
			name:     "not JSON",
			settings: `Environments: [Dev]`,
			env:      "Dev",
			wantText: []string{"parse"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := copyShipped(t, tt.settings)
			out := filepath.Join(t.TempDir(), "out")
			err := Render(src, tt.env, out)
			if err == nil {
				t.Fatal("Render succeeded")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error %v is not %v", err, tt.wantErr)
			}
			for _, want := range tt.wantText {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %s", err, want)
				}
			}
			if _, statErr := os.Stat(out); !os.IsNotExist(statErr) {
				t.Errorf("Render wrote %s although it failed", out)
			}
		})
	}
}

func TestRenderIntoSourceRefused(t *testing.T) {
	src := copyShipped(t, `{"Environments":[{"Name":"Dev","Tenant":"c.onmicrosoft.com","PolicySettings":{"TenantName":"c","BridgeUrl":"https://b.example","BridgeClientId":"id","BridgeClientSecretKey":"K","IdmeScopes":"military"}}]}`)
	if err := Render(src, "Dev", src+string(filepath.Separator)+"."); err == nil {
		t.Fatal("Render overwrote its own templates")
	}
	data, err := os.ReadFile(filepath.Join(src, "TrustFrameworkExtensions.IdmeBridge.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte("{Settings:BridgeUrl}")) {
		t.Error("template lost its tokens")
	}
}

func TestRenderFiles(t *testing.T) {
	env := Environment{Name: "T", Tenant: "t.onmicrosoft.com", PolicySettings: map[string]string{
		"Plain":  "value",
		"Markup": `a&b<c>"d'`,
		"Tenant": "ignored.onmicrosoft.com",
	}}
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr string
	}{
		{"text", `<a>{Settings:Plain}</a>`, `<a>value</a>`, ""},
		{"attribute", `<a b="{Settings:Plain}/x"/>`, `<a b="value/x"/>`, ""},
		{"tenant is the environment's own", `<a>{Settings:Tenant}</a>`, `<a>t.onmicrosoft.com</a>`, ""},
		{"escaped", `<a b="{Settings:Markup}">{Settings:Markup}</a>`, `<a b="a&amp;b&lt;c&gt;&#34;d&#39;">a&amp;b&lt;c&gt;&#34;d&#39;</a>`, ""},
		{"no tokens", `<a>{Setting:Plain}</a>`, `<a>{Setting:Plain}</a>`, ""},
		{"unknown", `<a>{Settings:Nope}</a>`, "", "{Settings:Nope} (in f.xml)"},
		{"empty name", `<a>{Settings:}</a>`, "", "{Settings:}"},
		{"names are case sensitive", `<a>{Settings:plain}</a>`, "", "{Settings:plain}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := RenderFiles(map[string][]byte{"f.xml": []byte(tt.in)}, env)
			if tt.wantErr != "" {
				if !errors.Is(err, ErrMissingSettings) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want ErrMissingSettings naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := string(out["f.xml"]); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
			if err := xml.Unmarshal(out["f.xml"], new(struct{})); err != nil {
				t.Errorf("rendered file is not XML: %v", err)
			}
		})
	}
}

func TestRenderSettingsThePoliciesRead(t *testing.T) {
	files := readDir(t, shippedDir(t))
	env := func(over map[string]string) Environment {
		e := Environment{Name: "T", Tenant: "c.onmicrosoft.com", PolicySettings: map[string]string{
			"TenantName": "c", "BridgeUrl": "https://b.example", "BridgeClientId": "id", "BridgeClientSecretKey": "B2C_1A_K",
			"IdmeScopes": "military", "IdmeIdentityProvider": "id.me", "IdmeNameEditing": "Verified", "VerifyCommunities": "military",
		}}
		for k, v := range over {
			e.PolicySettings[k] = v
		}
		return e
	}
	t.Run("trailing slash on BridgeUrl", func(t *testing.T) {
		out, err := RenderFiles(files, env(map[string]string{"BridgeUrl": "https://b.example/"}))
		if err != nil {
			t.Fatal(err)
		}
		ext := string(out[extFile])
		if !strings.Contains(ext, ">https://b.example/.well-known/openid-configuration<") || strings.Contains(ext, "//.well-known") {
			t.Errorf("METADATA not normalised")
		}
	})
	t.Run("identity provider of Microsoft's direct ID.me profile", func(t *testing.T) {
		out, err := RenderFiles(files, env(map[string]string{"IdmeIdentityProvider": "me.id.com"}))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(out[extFile]), `ClaimTypeReferenceId="identityProvider" DefaultValue="me.id.com" AlwaysUseDefaultValue="true"`) {
			t.Error("identityProvider is not the setting's value")
		}
	})
	t.Run("one verify policy per community", func(t *testing.T) {
		out, err := RenderFiles(files, env(map[string]string{"VerifyCommunities": "student hospital_employee student"}))
		if err != nil {
			t.Fatal(err)
		}
		for name, want := range map[string]string{
			"VerifyStudentWithIdme.xml":          `PolicyId="B2C_1A_IdmeBridge_VerifyStudent"`,
			"VerifyHospitalEmployeeWithIdme.xml": `<Item Key="scope">openid hospital_employee</Item>`,
		} {
			if !strings.Contains(string(out[name]), want) {
				t.Errorf("%s lacks %s", name, want)
			}
		}
		if _, ok := out["VerifyCommunityWithIdme.xml"]; ok || len(out) != 6 {
			t.Errorf("rendered %d files; the template itself must not be one", len(out))
		}
		if p := Check(out, StarterPack()); len(p) > 0 {
			t.Errorf("Check: %v", p)
		}
	})
	for _, tt := range []struct {
		name    string
		over    map[string]string
		wantErr error
		want    string
	}{
		{"unknown community", map[string]string{"VerifyCommunities": "military pilot"}, nil, `"pilot"`},
		{"no community", map[string]string{"VerifyCommunities": " "}, ErrMissingSettings, "VerifyCommunities"},
		{"name editing misspelt", map[string]string{"IdmeNameEditing": "editable"}, ErrBadSetting, "Verified or Editable"},
		{"identity provider as a URL", map[string]string{"IdmeIdentityProvider": "https://me.id.com"}, ErrBadSetting, "lowercase provider name"},
		{"identity provider with a space", map[string]string{"IdmeIdentityProvider": "me.id.com "}, ErrBadSetting, "lowercase provider name"},
		{"identity provider in capitals", map[string]string{"IdmeIdentityProvider": "ME.ID.COM"}, ErrBadSetting, "lowercase provider name"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := RenderFiles(files, env(tt.over))
			if err == nil || !strings.Contains(err.Error(), tt.want) || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
				t.Fatalf("RenderFiles = %v, want %v mentioning %s", err, tt.wantErr, tt.want)
			}
		})
	}
}

func TestRedirectURIs(t *testing.T) {
	env := Environment{Tenant: "Contoso.onmicrosoft.com", PolicySettings: map[string]string{"TenantName": "Contoso"}}
	if got := RedirectURIs(env); !slices.Equal(got, []string{"https://contoso.b2clogin.com/contoso.onmicrosoft.com/oauth2/authresp"}) {
		t.Errorf("default domain: %v", got)
	}
	env.PolicySettings[TenantIDSetting] = "11111111-2222-3333-4444-555555555555"
	env.PolicySettings[CustomDomainsSetting] = "login.contoso.com https://id.contoso.com/"
	want := []string{
		"https://contoso.b2clogin.com/contoso.onmicrosoft.com/oauth2/authresp",
		"https://contoso.b2clogin.com/11111111-2222-3333-4444-555555555555/oauth2/authresp",
		"https://login.contoso.com/contoso.onmicrosoft.com/oauth2/authresp",
		"https://login.contoso.com/11111111-2222-3333-4444-555555555555/oauth2/authresp",
		"https://id.contoso.com/contoso.onmicrosoft.com/oauth2/authresp",
		"https://id.contoso.com/11111111-2222-3333-4444-555555555555/oauth2/authresp",
	}
	if got := RedirectURIs(env); !slices.Equal(got, want) {
		t.Errorf("RedirectURIs =\n%v\nwant\n%v", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
