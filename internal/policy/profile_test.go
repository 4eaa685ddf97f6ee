package policy

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"idmebridge/internal/claims"
)

func TestLoadBridgeProfile(t *testing.T) {
	p, err := LoadOIDCProfile(rendered(t, "Development"), BridgeProfileID)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ field, got, want string }{
		{"MetadataURL", p.MetadataURL, devIssuer + DiscoveryPath},
		{"ClientID", p.ClientID, devClient},
		{"Scope", p.Scope, "openid military"},
		{"ResponseTypes", p.ResponseTypes, "code"},
		{"ResponseMode", p.ResponseMode, "form_post"},
		{"TokenEndpointAuthMethod", p.TokenEndpointAuthMethod, "client_secret_post"},
		{"ClientSecretKey", p.ClientSecretKey, "B2C_1A_IdmeBridgeSecret"},
		{"Metadata[HttpBinding]", p.Metadata["HttpBinding"], "POST"},
		{"Metadata[UsePolicyInRedirectUri]", p.Metadata["UsePolicyInRedirectUri"], "false"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
		}
	}
	if !slices.Equal(p.Scopes(), []string{"openid", "military"}) {
		t.Errorf("Scopes() = %v", p.Scopes())
	}
}

// Every claim the bridge can put in its id_token must reach a B2C claim (B2C drops unmapped
// claims silently), and no mapping may wait for a claim the bridge never sends.
func TestBridgeProfileMapsEveryBridgeClaim(t *testing.T) {
	tr, err := claims.NewTranslator(nil)
	if err != nil {
		t.Fatal(err)
	}
	emitted := tr.ClaimNames()
	files := readDir(t, rendered(t, "Development"))
	for _, id := range []string{BridgeProfileID, "IdmeBridge-OIDC-Military"} {
		t.Run(id, func(t *testing.T) {
			p, err := FindOIDCProfile(files, id)
			if err != nil {
				t.Fatal(err)
			}
			var read []string
			for _, oc := range p.OutputClaims {
				if oc.AlwaysUseDefaultValue {
					continue // a constant, not read from the token
				}
				read = append(read, oc.PartnerClaimType)
				if !slices.Contains(emitted, oc.PartnerClaimType) {
					t.Errorf("%s reads %q, which the bridge never emits", oc.ClaimTypeReferenceID, oc.PartnerClaimType)
				}
			}
			for _, name := range emitted {
				if !slices.Contains(read, name) {
					t.Errorf("the bridge's %q claim is not mapped: B2C would drop it", name)
				}
			}
		})
	}
}

// A relying party that returns the ID.me claims must list every one the profile maps, under
// the bridge's own name (the ID.me subject as idme_subject: sub is the B2C account), when the
// tenant asks for personal data; without it, birthdate, phone and address stay out.
func TestSignUpOrSignInReturnsEveryIdmeClaim(t *testing.T) {
	personal := []string{"idmePostalCode", "idmeBirthdate", "idmePhoneNumber", "idmeStreetAddress", "idmeLocality", "idmeRegion"}
	for _, include := range []string{"true", "false"} {
		t.Run(PersonalDataSetting+"="+include, func(t *testing.T) {
			files := renderedWith(t, map[string]string{PersonalDataSetting: include})
			p, err := FindOIDCProfile(files, BridgeProfileID)
			if err != nil {
				t.Fatal(err)
			}
			rp := string(files[susiFile])
			for _, oc := range p.OutputClaims {
				// idmeBridge* claims steer the journey; they are not the bridge's.
				if !strings.HasPrefix(oc.ClaimTypeReferenceID, "idme") || strings.HasPrefix(oc.ClaimTypeReferenceID, "idmeBridge") {
					continue
				}
				partner := oc.PartnerClaimType
				if oc.ClaimTypeReferenceID == "idmeSubject" {
					partner = "idme_subject"
				}
				want := `ClaimTypeReferenceId="` + oc.ClaimTypeReferenceID + `" PartnerClaimType="` + partner + `"`
				wantIt := include == "true" || !slices.Contains(personal, oc.ClaimTypeReferenceID)
				if strings.Contains(rp, want) != wantIt {
					t.Errorf("%s returns %s as %s: %v, want %v", susiFile, oc.ClaimTypeReferenceID, partner, !wantIt, wantIt)
				}
			}
		})
	}
	if _, err := RenderFiles(readDir(t, shippedDir(t)), devEnvironment(t, map[string]string{PersonalDataSetting: "yes"})); !errors.Is(err, ErrBadSetting) {
		t.Errorf("%s=yes: %v, want %v", PersonalDataSetting, err, ErrBadSetting)
	}
}

func TestMilitaryProfileInheritsAllButScope(t *testing.T) {
	files := readDir(t, rendered(t, "Development"))
	base, err := FindOIDCProfile(files, BridgeProfileID)
	if err != nil {
		t.Fatal(err)
	}
	mil, err := FindOIDCProfile(files, "IdmeBridge-OIDC-Military")
	if err != nil {
		t.Fatal(err)
	}
	if mil.Scope != "openid military" {
		t.Errorf("military scope = %q", mil.Scope)
	}
	if mil.MetadataURL != base.MetadataURL || mil.ClientID != base.ClientID || mil.ClientSecretKey != base.ClientSecretKey {
		t.Errorf("military profile does not inherit the bridge's endpoint and client: %+v", mil)
	}
	if !reflect.DeepEqual(mil.OutputClaims, base.OutputClaims) {
		t.Error("military profile maps claims differently from the bridge profile")
	}
}

func TestMap(t *testing.T) {
	p, err := FindOIDCProfile(readDir(t, rendered(t, "Development")), BridgeProfileID)
	if err != nil {
		t.Fatal(err)
	}
	idToken := map[string]any{
		"iss":                    devIssuer,
		"sub":                    "7f3a",
		"given_name":             "Ada",
		"idme_groups":            []any{"military"},
		"idme_military_verified": true,
		"idme_student_verified":  false,
		"idp":                    "spoofed",
		"unmapped":               "dropped",
	}
	got := p.Map(idToken)
	want := map[string]any{
		"issuerUserId":          "7f3a",
		"idmeSubject":           "7f3a",
		"givenName":             "Ada",
		"idmeGroups":            []any{"military"},
		"idmeMilitaryVerified":  true,
		"idmeStudentVerified":   false,
		"identityProvider":      "id.me", // AlwaysUseDefaultValue: never from the token
		"authenticationSource":  "socialIdpAuthentication",
		"idmeBridgeNameEditing": "Verified",
	}
	// Booleans the token lacks take their DefaultValue, false: missing is never verified.
	for _, id := range []string{"idmeResponderVerified", "idmeTeacherVerified", "idmeGovernmentVerified",
		"idmeEmployeeVerified", "idmeHospitalEmployeeVerified", "idmeAlumniVerified", "idmeNurseVerified",
		"idmeMedicalVerified", "idmeIdentityVerified"} {
		want[id] = "false"
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Map =\n%v\nwant\n%v", got, want)
	}
}

func TestFindOIDCProfileErrors(t *testing.T) {
	files := readDir(t, rendered(t, "Development"))
	tests := []struct {
		name    string
		files   map[string][]byte
		id      string
		wantErr error
		wantMsg string
	}{
		{"missing", files, "IdmeBridge-Nope", ErrNoProfile, ""},
		{"not OpenIdConnect", files, "IdmeBridge-MilitaryRequired", nil, "not an OpenIdConnect"},
		{"include cycle", mutate(t, files, extFile, `<TechnicalProfile Id="IdmeBridge-OIDC">`,
			`<TechnicalProfile Id="IdmeBridge-OIDC"><IncludeTechnicalProfile ReferenceId="IdmeBridge-OIDC-Military" />`, 1),
			BridgeProfileID, nil, "includes itself"},
		{"broken XML", mutate(t, files, susiFile, `</RelyingParty>`, `</Relying>`, 1), BridgeProfileID, nil, susiFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FindOIDCProfile(tt.files, tt.id)
			if err == nil {
				t.Fatal("FindOIDCProfile succeeded")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error %v is not %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not mention %q", err, tt.wantMsg)
			}
		})
	}
}

// A child policy that defines the profile again overrides only what it states, as in B2C.
func TestFindOIDCProfileMergesChildPolicies(t *testing.T) {
	files := readDir(t, rendered(t, "Development"))
	files["0-Child.xml"] = []byte(`<?xml version="1.0" encoding="utf-8"?>
<TrustFrameworkPolicy xmlns="http://schemas.microsoft.com/online/cpim/schemas/2013/06" PolicyId="B2C_1A_Child">
  <BasePolicy><TenantId>contosodev.onmicrosoft.com</TenantId><PolicyId>B2C_1A_IdmeBridge_Extensions</PolicyId></BasePolicy>
  <ClaimsProviders><ClaimsProvider><TechnicalProfiles>
    <TechnicalProfile Id="IdmeBridge-OIDC">
      <Metadata><Item Key="scope">openid student</Item></Metadata>
      <OutputClaims><OutputClaim ClaimTypeReferenceId="givenName" PartnerClaimType="first_name" /></OutputClaims>
    </TechnicalProfile>
  </TechnicalProfiles></ClaimsProvider></ClaimsProviders>
</TrustFrameworkPolicy>`)
	// "0-Child.xml" sorts before its base by name: the merge must follow inheritance instead.
	p, err := FindOIDCProfile(files, BridgeProfileID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Scope != "openid student" || p.MetadataURL != devIssuer+DiscoveryPath {
		t.Errorf("scope %q, METADATA %q: child override not merged over the base", p.Scope, p.MetadataURL)
	}
	i := slices.IndexFunc(p.OutputClaims, func(oc OutputClaim) bool { return oc.ClaimTypeReferenceID == "givenName" })
	if i < 0 || p.OutputClaims[i].PartnerClaimType != "first_name" {
		t.Errorf("givenName mapping not overridden: %+v", p.OutputClaims)
	}
	mil, err := FindOIDCProfile(files, "IdmeBridge-OIDC-Military")
	if err != nil {
		t.Fatal(err)
	}
	if mil.Scope != "openid military" {
		t.Errorf("military scope = %q: its own metadata must win over what it includes", mil.Scope)
	}
}

func TestPartnerClaimTypeDefaults(t *testing.T) {
	files := map[string][]byte{"p.xml": []byte(`<TrustFrameworkPolicy PolicyId="P">
  <BuildingBlocks><ClaimsSchema>
    <ClaimType Id="rank"><DataType>string</DataType><DefaultPartnerClaimTypes>
      <Protocol Name="OAuth2" PartnerClaimType="oauth_rank" />
      <Protocol Name="OpenIdConnect" PartnerClaimType="idme_military_rank" />
    </DefaultPartnerClaimTypes></ClaimType>
  </ClaimsSchema></BuildingBlocks>
  <ClaimsProviders><ClaimsProvider><TechnicalProfiles>
    <TechnicalProfile Id="X"><Protocol Name="OpenIdConnect" />
      <OutputClaims><OutputClaim ClaimTypeReferenceId="rank" /><OutputClaim ClaimTypeReferenceId="email" /></OutputClaims>
    </TechnicalProfile>
  </TechnicalProfiles></ClaimsProvider></ClaimsProviders>
</TrustFrameworkPolicy>`)}
	p, err := FindOIDCProfile(files, "X")
	if err != nil {
		t.Fatal(err)
	}
	want := []OutputClaim{
		{ClaimTypeReferenceID: "rank", PartnerClaimType: "idme_military_rank"},
		{ClaimTypeReferenceID: "email", PartnerClaimType: "email"},
	}
	if !reflect.DeepEqual(p.OutputClaims, want) {
		t.Errorf("OutputClaims = %+v, want %+v", p.OutputClaims, want)
	}
}

// The bridge's profile builds what a sign-in needs and nothing the starter pack marks as unused:
// CreateSubjectClaimFromAlternativeSecurityId only writes "Not supported currently. Use oid
// claim." into sub (TrustFrameworkBase.xml).
func TestBridgeProfileTransformations(t *testing.T) {
	files := readDir(t, rendered(t, "Development"))
	p, err := FindProfile(files, BridgeProfileID)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"CreateRandomUPNUserName", "CreateUserPrincipalName", "CreateAlternativeSecurityId"}
	if !slices.Equal(p.OutputTransformations, want) {
		t.Errorf("output claims transformations %v, want %v", p.OutputTransformations, want)
	}
}
