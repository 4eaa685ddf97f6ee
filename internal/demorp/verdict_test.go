package demorp

import (
	"slices"
	"strings"
	"testing"

	"idmebridge/internal/policy"
)

func TestVerdict(t *testing.T) {
	tests := []struct {
		name           string
		policies       []string
		claims         map[string]any
		want           []string
		notRequested   []string
		militaryNotVer bool
	}{
		{"verified with its subgroup", []string{"military"},
			map[string]any{"idme_military_verified": true, "idme_student_verified": false, "email_verified": true, "idme_subgroups": []any{"Veteran"}},
			[]string{"military: verified, Veteran"}, []string{"student"}, false},
		{"not verified", []string{"military", "student"},
			map[string]any{"idme_military_verified": false, "idme_student_verified": true, "idme_subgroups": []any{}},
			[]string{"military: not verified", "student: verified"}, nil, true},
		{"two verified: subgroups cannot be attributed", []string{"military", "http://idmanagement.gov/ns/assurance/ial/2/aal/2"},
			map[string]any{"idme_military_verified": true, "idme_identity_verified": true, "idme_subgroups": []any{"Veteran", "IAL2"}},
			[]string{"military: verified", "identity: verified", "subgroups: Veteran, IAL2"}, nil, false},
		{"first_responder reads the responder claim", []string{"first_responder"},
			map[string]any{"idme_responder_verified": true},
			[]string{"responder: verified"}, nil, false},
		{"a missing claim is not verified", []string{"teacher"}, map[string]any{},
			[]string{"teacher: not verified"}, nil, false},
		{"login verifies nothing", []string{"login"}, map[string]any{"idme_military_verified": false},
			[]string{"no verification requested"}, []string{"military"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newVerdict(tt.policies, tt.claims)
			var got []string
			for _, l := range v.Lines {
				got = append(got, l.Text)
				if l.Verified != strings.Contains(l.Text, ": verified") {
					t.Errorf("line %q marked verified=%v", l.Text, l.Verified)
				}
			}
			if !slices.Equal(got, tt.want) || !slices.Equal(v.NotRequested, tt.notRequested) || v.MilitaryNotVerified != tt.militaryNotVer {
				t.Fatalf("got %q, not requested %q, military not verified %v", got, v.NotRequested, v.MilitaryNotVerified)
			}
		})
	}
}

func TestB2CClaims(t *testing.T) {
	p := policy.OIDCProfile{ID: "x", OutputClaims: []policy.OutputClaim{
		{ClaimTypeReferenceID: "issuerUserId", PartnerClaimType: "sub"},
		{ClaimTypeReferenceID: "idmeMilitaryVerified", PartnerClaimType: "idme_military_verified", DefaultValue: "false"},
		{ClaimTypeReferenceID: "idmeRegion", PartnerClaimType: "region"},
		{ClaimTypeReferenceID: "identityProvider", DefaultValue: "id.me", AlwaysUseDefaultValue: true},
	}}
	rows, dropped := b2cClaims(p, map[string]any{"sub": "u1", "iss": "x", "zip_extra": "1"})
	want := []b2cRow{
		{"issuerUserId", "sub", "u1", ""},
		{"idmeMilitaryVerified", "idme_military_verified", "false", "DefaultValue: the id_token lacks idme_military_verified"},
		{"idmeRegion", "region", "", "not in the id_token: B2C holds no value"},
		{"identityProvider", "(none)", "id.me", "set by the policy"},
	}
	if !slices.Equal(rows, want) || !slices.Equal(dropped, []string{"zip_extra"}) {
		t.Fatalf("rows %+v dropped %v", rows, dropped)
	}
}

// TestLoadB2CPolicy reads the shipped files: the two profiles and the verification step.
func TestLoadB2CPolicy(t *testing.T) {
	p, err := LoadB2CPolicy("../../policies", policy.Environment{Name: "Test", Tenant: "t.onmicrosoft.com", PolicySettings: map[string]string{
		"TenantName": "t", "BridgeUrl": "http://localhost:7071", "BridgeClientId": "demo-b2c",
		"BridgeClientSecretKey": "k", "IdmeScopes": "military",
		"IdmeIdentityProvider": "id.me", "IdmeNameEditing": "Verified", "VerifyCommunities": "military",
	}})
	if err != nil {
		t.Fatal(err)
	}
	if p.SignIn.ClientID != "demo-b2c" || p.Verify.Scope != "openid military" || len(p.SignIn.OutputClaims) == 0 {
		t.Errorf("profiles %+v / %+v", p.SignIn, p.Verify)
	}
	if p.VerifyStep.Title != "Military verification required" || !strings.Contains(p.VerifyStep.Message, "could not confirm") {
		t.Errorf("step %+v", p.VerifyStep)
	}
	if _, err := LoadB2CPolicy(t.TempDir(), policy.Environment{}); err == nil {
		t.Error("an empty folder loaded")
	}
}
