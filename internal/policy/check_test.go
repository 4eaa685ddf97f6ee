package policy

import (
	"slices"
	"strings"
	"testing"
)

const (
	extFile    = "TrustFrameworkExtensions.IdmeBridge.xml"
	susiFile   = "SignUpOrSignInWithIdme.xml"
	verifyFile = "VerifyMilitaryWithIdme.xml" // rendered from VerifyCommunityWithIdme.xml
	linkFile   = "LinkIdmeAccount.xml"
)

func TestCheckShippedFiles(t *testing.T) {
	tests := []struct {
		name  string
		files func(t *testing.T) map[string][]byte
	}{
		{"templates", func(t *testing.T) map[string][]byte {
			files, err := ExpandCommunities(readDir(t, shippedDir(t)), "military student")
			if err != nil {
				t.Fatal(err)
			}
			return files
		}},
		{"rendered", func(t *testing.T) map[string][]byte { return readDir(t, rendered(t, "Production")) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, p := range Check(tt.files(t), StarterPack()) {
				t.Errorf("%s [%s]", p, p.Rule)
			}
		})
	}
}

// Without the starter pack's ids, the shipped files' references to it are reported: the list
// is what makes them resolve.
func TestCheckNeedsStarterPack(t *testing.T) {
	problems := Check(readDir(t, rendered(t, "Development")), KnownIDs{})
	for _, want := range []string{`"SM-Noop"`, `"CreateAlternativeSecurityId"`, `"api.selfasserted"`,
		`"B2C_1A_TrustFrameworkExtensions"`, `"JwtIssuer"`, `"DefaultWeb"`, `"objectId"`} {
		if !slices.ContainsFunc(problems, func(p Problem) bool { return strings.Contains(p.Message, want) }) {
			t.Errorf("no problem mentions %s", want)
		}
	}
}

func TestCheckFindsBrokenCopies(t *testing.T) {
	tests := []struct {
		name      string
		file      string
		old, new  string
		rule      Rule
		where     string
		wantInMsg []string
	}{
		{
			name: "misspelled OpenIdConnect metadata key", file: extFile,
			old: `Key="response_mode"`, new: `Key="response_mod"`,
			rule: RuleMetadata, where: `TechnicalProfile "IdmeBridge-OIDC"`,
			wantInMsg: []string{`"response_mod"`, `did you mean "response_mode"`},
		},
		{
			name: "metadata key in the wrong case", file: extFile,
			old: `Key="METADATA"`, new: `Key="Metadata"`,
			rule: RuleMetadata, where: `TechnicalProfile "IdmeBridge-OIDC"`,
			wantInMsg: []string{`"Metadata"`, `did you mean "METADATA"`},
		},
		{
			name: "misspelled key in a profile that inherits its protocol", file: verifyFile,
			old: `<Item Key="scope">openid military</Item>`, new: `<Item Key="scopes">openid military</Item>`,
			rule: RuleMetadata, where: `TechnicalProfile "IdmeBridge-OIDC-Military"`,
			wantInMsg: []string{`"scopes"`, "OpenIdConnect"},
		},
		{
			name: "misspelled self-asserted metadata key", file: verifyFile,
			old: `setting.showContinueButton`, new: `setting.showContinueButon`,
			rule: RuleMetadata, where: `TechnicalProfile "IdmeBridge-MilitaryRequired"`,
			wantInMsg: []string{`did you mean "setting.showContinueButton"`},
		},
		{
			name: "repeated metadata key", file: extFile,
			old: `<Item Key="HttpBinding">POST</Item>`, new: `<Item Key="HttpBinding">POST</Item><Item Key="HttpBinding">GET</Item>`,
			rule: RuleMetadata, where: `TechnicalProfile "IdmeBridge-OIDC"`,
			wantInMsg: []string{`"HttpBinding" appears twice`},
		},
		{
			name: "unknown protocol handler", file: verifyFile,
			old: `Web.TPEngine.Providers.ClaimsTransformationProtocolProvider`, new: `Web.TPEngine.Providers.ClaimTransformationProtocolProvider`,
			rule: RuleProtocol, where: `TechnicalProfile "IdmeBridge-AssertMilitaryVerified"`,
			wantInMsg: []string{"unknown protocol handler"},
		},
		{
			name: "output claim of an unknown claim type", file: extFile,
			old:  `ClaimTypeReferenceId="idmeMilitaryVerified" PartnerClaimType="idme_military_verified"`,
			new:  `ClaimTypeReferenceId="idmeMilitaryVerifed" PartnerClaimType="idme_military_verified"`,
			rule: RuleReference, where: `TechnicalProfile "IdmeBridge-OIDC"`,
			wantInMsg: []string{`OutputClaim ClaimTypeReferenceId refers to unknown claim type "idmeMilitaryVerifed"`},
		},
		{
			name: "relying party emits a claim type nobody defines", file: verifyFile,
			old: `ClaimTypeReferenceId="idmeMilitaryBranch"`, new: `ClaimTypeReferenceId="idmeNavyBranch"`,
			rule: RuleReference, where: `TechnicalProfile "PolicyProfile"`,
			wantInMsg: []string{`unknown claim type "idmeNavyBranch"`},
		},
		{
			name: "precondition on an unknown claim", file: verifyFile,
			old: `<Value>idmeMilitaryVerified</Value>`, new: `<Value>idmeMilitaryVerifed</Value>`,
			rule: RuleReference, where: `UserJourney "IdmeBridgeVerifyMilitary" step 2`,
			wantInMsg: []string{`Precondition Value refers to unknown claim type "idmeMilitaryVerifed"`},
		},
		{
			name: "boolean precondition in lower case", file: verifyFile,
			old: `<Value>True</Value>`, new: `<Value>true</Value>`,
			rule: RulePrecondition, where: `UserJourney "IdmeBridgeVerifyMilitary" step 2`,
			wantInMsg: []string{`boolean "idmeMilitaryVerified" with "true"`},
		},
		{
			name: "claims exchange of an unknown technical profile", file: verifyFile,
			old: `TechnicalProfileReferenceId="IdmeBridge-OIDC-Military"`, new: `TechnicalProfileReferenceId="IdmeBridge-OIDC-Militray"`,
			rule: RuleReference, where: `UserJourney "IdmeBridgeVerifyMilitary" step 1`,
			wantInMsg: []string{`unknown technical profile "IdmeBridge-OIDC-Militray"`},
		},
		{
			name: "unknown session management profile", file: extFile,
			old: `ReferenceId="SM-Noop"`, new: `ReferenceId="SM-Nop"`,
			rule: RuleReference, where: `TechnicalProfile "IdmeBridge-OIDC"`,
			wantInMsg: []string{`UseTechnicalProfileForSessionManagement ReferenceId refers to unknown technical profile "SM-Nop"`},
		},
		{
			name: "unknown included profile", file: verifyFile,
			old: `<IncludeTechnicalProfile ReferenceId="IdmeBridge-OIDC" />`, new: `<IncludeTechnicalProfile ReferenceId="IdmeBridge-OIDCX" />`,
			rule: RuleReference, where: `TechnicalProfile "IdmeBridge-OIDC-Military"`,
			wantInMsg: []string{`unknown technical profile "IdmeBridge-OIDCX"`},
		},
		{
			name: "unknown validation profile", file: verifyFile,
			old: `<ValidationTechnicalProfile ReferenceId="IdmeBridge-AssertMilitaryVerified" />`, new: `<ValidationTechnicalProfile ReferenceId="IdmeBridge-AssertMilitary" />`,
			rule: RuleReference, where: `TechnicalProfile "IdmeBridge-MilitaryRequired"`,
			wantInMsg: []string{`ValidationTechnicalProfile ReferenceId refers to unknown technical profile "IdmeBridge-AssertMilitary"`},
		},
		{
			name: "unknown token issuer", file: extFile,
			old: `CpimIssuerTechnicalProfileReferenceId="JwtIssuer"`, new: `CpimIssuerTechnicalProfileReferenceId="JWTIssuer"`,
			rule: RuleReference, where: `UserJourney "IdmeBridgeSignUpOrSignIn" step 11`,
			wantInMsg: []string{`unknown technical profile "JWTIssuer"`},
		},
		{
			name: "unknown output claims transformation", file: extFile,
			old: `ReferenceId="CreateAlternativeSecurityId"`, new: `ReferenceId="CreateAlternateSecurityId"`,
			rule: RuleReference, where: `TechnicalProfile "IdmeBridge-OIDC"`,
			wantInMsg: []string{`OutputClaimsTransformation ReferenceId refers to unknown claims transformation "CreateAlternateSecurityId"`},
		},
		{
			name: "claims transformation outputs an unknown claim", file: extFile,
			old:  `<OutputClaim ClaimTypeReferenceId="idmeBridgeMessage" TransformationClaimType="createdClaim" />`,
			new:  `<OutputClaim ClaimTypeReferenceId="idmeBridgeMesage" TransformationClaimType="createdClaim" />`,
			rule: RuleReference, where: `ClaimsTransformation "IdmeBridge-CreateAlreadyLinkedMessage"`,
			wantInMsg: []string{`unknown claim type "idmeBridgeMesage"`},
		},
		{
			name: "unknown content definition in metadata", file: extFile,
			old: `<Item Key="ContentDefinitionReferenceId">api.selfasserted</Item>`, new: `<Item Key="ContentDefinitionReferenceId">api.selfassert</Item>`,
			rule: RuleReference, where: `TechnicalProfile "IdmeBridge-AlreadyLinked"`,
			wantInMsg: []string{`Metadata ContentDefinitionReferenceId refers to unknown content definition "api.selfassert"`},
		},
		{
			name: "unknown content definition on a step", file: extFile,
			old: `ContentDefinitionReferenceId="api.signuporsignin"`, new: `ContentDefinitionReferenceId="api.signinorsignup"`,
			rule: RuleReference, where: `UserJourney "IdmeBridgeSignUpOrSignIn" step 1`,
			wantInMsg: []string{`unknown content definition "api.signinorsignup"`},
		},
		{
			name: "unknown default user journey", file: verifyFile,
			old: `<DefaultUserJourney ReferenceId="IdmeBridgeVerifyMilitary" />`, new: `<DefaultUserJourney ReferenceId="IdmeBridgeVerifyMilitry" />`,
			rule: RuleReference, where: "RelyingParty",
			wantInMsg: []string{`DefaultUserJourney ReferenceId refers to unknown user journey "IdmeBridgeVerifyMilitry"`},
		},
		{
			name: "unknown client definition", file: extFile,
			old: `<ClientDefinition ReferenceId="DefaultWeb" />`, new: `<ClientDefinition ReferenceId="DefaultWebb" />`,
			rule: RuleReference, where: `UserJourney "IdmeBridgeSignUpOrSignIn"`,
			wantInMsg: []string{`unknown client definition "DefaultWebb"`},
		},
		{
			name: "unknown base policy", file: susiFile,
			old: `<PolicyId>B2C_1A_IdmeBridge_Extensions</PolicyId>`, new: `<PolicyId>B2C_1A_IdmeBridgeExtensions</PolicyId>`,
			rule: RuleReference, where: "BasePolicy",
			wantInMsg: []string{`BasePolicy PolicyId refers to unknown policy "B2C_1A_IdmeBridgeExtensions"`},
		},
		{
			name: "provider button without a claims exchange", file: extFile,
			old: `TargetClaimsExchangeId="IdmeBridgeExchange"`, new: `TargetClaimsExchangeId="IdmeExchange"`,
			rule: RuleReference, where: `UserJourney "IdmeBridgeSignUpOrSignIn" step 1`,
			wantInMsg: []string{`TargetClaimsExchangeId refers to unknown ClaimsExchange "IdmeExchange"`},
		},
		// B2C's upload rules and run-time claim flow.
		{
			name: "policy in the redirect URI", file: extFile,
			old: `<Item Key="UsePolicyInRedirectUri">false</Item>`, new: `<Item Key="UsePolicyInRedirectUri">true</Item>`,
			rule: RuleRedirectURI, where: `TechnicalProfile "IdmeBridge-OIDC"`,
			wantInMsg: []string{"UsePolicyInRedirectUri is true", "exact match"},
		},
		{
			name: "policy key without the B2C_1A_ prefix", file: extFile,
			old: `StorageReferenceId="B2C_1A_IdmeBridgeSecret"`, new: `StorageReferenceId="IdmeBridgeSecret"`,
			rule: RulePolicyKey, where: `TechnicalProfile "IdmeBridge-OIDC"`,
			wantInMsg: []string{`"IdmeBridgeSecret"`, `use "B2C_1A_IdmeBridgeSecret"`},
		},
		{
			name: "CreateAlternativeSecurityId removed", file: extFile,
			old: `<OutputClaimsTransformation ReferenceId="CreateAlternativeSecurityId" />`, new: ``,
			rule: RuleClaimFlow, where: `UserJourney "IdmeBridgeSignUpOrSignIn" step 3`,
			wantInMsg: []string{`"IdmeBridge-AAD-UserReadUsingAlternativeSecurityId-NoError" requires claim "alternativeSecurityId"`},
		},
		{
			name: "relying party claim no step produces", file: susiFile,
			old:  `<OutputClaim ClaimTypeReferenceId="objectId" PartnerClaimType="sub" />`,
			new:  `<OutputClaim ClaimTypeReferenceId="objectId" PartnerClaimType="sub" /><OutputClaim ClaimTypeReferenceId="idmeBridgeLinkedObjectId" PartnerClaimType="linked" />`,
			rule: RuleClaimFlow, where: "RelyingParty",
			wantInMsg: []string{`"idmeBridgeLinkedObjectId" is produced by no step of journey "IdmeBridgeSignUpOrSignIn"`},
		},
		{
			name: "validation profile input the page does not output", file: verifyFile,
			old:  `<OutputClaim ClaimTypeReferenceId="idmeMilitaryVerified" DefaultValue="false" AlwaysUseDefaultValue="true" />`,
			new:  ``,
			rule: RuleValidation, where: `TechnicalProfile "IdmeBridge-MilitaryRequired"`,
			wantInMsg: []string{`"IdmeBridge-AssertMilitaryVerified" takes input claim "idmeMilitaryVerified"`},
		},
		{
			name: "linking page that can be continued past", file: extFile,
			old:  `<ValidationTechnicalProfile ReferenceId="IdmeBridge-AssertAllowed" />`,
			new:  `<ValidationTechnicalProfile ReferenceId="IdmeBridge-AssertAllowd" />`,
			rule: RuleReference, where: `TechnicalProfile "IdmeBridge-AlreadyLinked"`,
			wantInMsg: []string{`"IdmeBridge-AssertAllowd"`},
		},
		{
			name: "not well-formed", file: verifyFile,
			old: `</RelyingParty>`, new: `</RelyingPart>`,
			rule: RuleParse, where: "TrustFrameworkPolicy",
			wantInMsg: []string{verifyFile},
		},
	}
	shipped := readDir(t, rendered(t, "Development"))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems := Check(mutate(t, shipped, tt.file, tt.old, tt.new, 1), StarterPack())
			found := slices.ContainsFunc(problems, func(p Problem) bool {
				if p.File != tt.file || p.Rule != tt.rule || p.Where != tt.where {
					return false
				}
				for _, want := range tt.wantInMsg {
					if !strings.Contains(p.Message, want) {
						return false
					}
				}
				return true
			})
			if !found {
				t.Errorf("no %s problem in %s at %s mentioning %q; got:", tt.rule, tt.file, tt.where, tt.wantInMsg)
				for _, p := range problems {
					t.Logf("  %s [%s]", p, p.Rule)
				}
			}
		})
	}
}

func TestCheckProtocolUnknownForMetadata(t *testing.T) {
	files := map[string][]byte{"p.xml": []byte(`<TrustFrameworkPolicy PolicyId="P"><ClaimsProviders><ClaimsProvider>
	<TechnicalProfiles><TechnicalProfile Id="Orphan"><Metadata><Item Key="scope">openid</Item></Metadata>
	</TechnicalProfile></TechnicalProfiles></ClaimsProvider></ClaimsProviders></TrustFrameworkPolicy>`)}
	problems := Check(files, StarterPack())
	if len(problems) != 1 || problems[0].Rule != RuleProtocol {
		t.Fatalf("Check = %v, want one protocol problem", problems)
	}
	// Overriding a starter-pack profile takes its kind: here an OAuth2 key on Facebook-OAUTH.
	files["p.xml"] = []byte(strings.Replace(string(files["p.xml"]), `Id="Orphan"`, `Id="Facebook-OAUTH"`, 1))
	if problems := Check(files, StarterPack()); len(problems) != 0 {
		t.Errorf("override of a known profile: %v", problems)
	}
}

func TestKeyAllowed(t *testing.T) {
	tests := []struct {
		kind             Kind
		key              string
		allowed, checked bool
		suggest          string
	}{
		{KindOpenIDConnect, "METADATA", true, true, "METADATA"},
		{KindOpenIDConnect, "client_id", true, true, "client_id"},
		{KindOpenIDConnect, "clientid", false, true, "client_id"},
		{KindOpenIDConnect, "ClaimTypeOnWhichToEnable", true, true, "ClaimTypeOnWhichToEnable"},
		{KindOpenIDConnect, "ServiceUrl", false, true, ""},
		{KindSelfAsserted, "language.button_continue", true, true, ""},
		{KindSelfAsserted, "language.", false, true, ""},
		{KindOpenIDConnect, "language.intro", false, true, ""},
		{KindSessionManagement, "AlwaysFetchClaimsFromProvider", true, true, "AlwaysFetchClaimsFromProvider"},
		{Kind("SAML2"), "anything", true, false, ""},
	}
	for _, tt := range tests {
		allowed, checked := keyAllowed(tt.kind, tt.key)
		if allowed != tt.allowed || checked != tt.checked {
			t.Errorf("keyAllowed(%s, %q) = %v, %v; want %v, %v", tt.kind, tt.key, allowed, checked, tt.allowed, tt.checked)
		}
		if got := closestKey(tt.kind, tt.key); got != tt.suggest {
			t.Errorf("closestKey(%s, %q) = %q, want %q", tt.kind, tt.key, got, tt.suggest)
		}
	}
}

func TestStarterPackHasNoDuplicates(t *testing.T) {
	k := StarterPack()
	var profiles []string
	for _, p := range k.TechnicalProfiles {
		profiles = append(profiles, p.ID)
		if p.Kind == "" {
			t.Errorf("%s has no kind", p.ID)
		}
	}
	for _, b := range k.BooleanClaimTypes {
		if !slices.Contains(k.ClaimTypes, b) {
			t.Errorf("boolean %s is not a starter-pack claim type", b)
		}
	}
	for name, ids := range map[string][]string{
		"Policies": k.Policies, "ClaimTypes": k.ClaimTypes, "ClaimsTransformations": k.ClaimsTransformations,
		"ContentDefinitions": k.ContentDefinitions, "ClientDefinitions": k.ClientDefinitions,
		"UserJourneys": k.UserJourneys, "TechnicalProfiles": profiles, "BooleanClaimTypes": k.BooleanClaimTypes,
	} {
		sorted := slices.Sorted(slices.Values(ids))
		if len(slices.Compact(sorted)) != len(ids) {
			t.Errorf("%s lists an id twice", name)
		}
	}
}
