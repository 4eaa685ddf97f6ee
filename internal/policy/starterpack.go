package policy

// KnownIDs are ids that policy files may reference without defining them, because the policies
// they extend define them.
type KnownIDs struct {
	Policies              []string
	ClaimTypes            []string
	ClaimsTransformations []string
	ContentDefinitions    []string
	ClientDefinitions     []string
	UserJourneys          []string
	TechnicalProfiles     []KnownProfile
	// BooleanClaimTypes are the ClaimTypes of DataType boolean, whose values a precondition
	// must write as True or False.
	BooleanClaimTypes []string
	// ProfileClaims are, for known technical profiles a journey may run, the claims each
	// produces and the claims it requires, so that a journey's claim flow can be followed.
	ProfileClaims map[string]KnownClaims
	// TransformationOutputs are the claims each known claims transformation produces.
	TransformationOutputs map[string][]string
}

// KnownClaims is what a known technical profile does to the claim bag: its output claims
// (those of its validation profiles and transformations included), and the input claims it
// marks Required.
type KnownClaims struct {
	Outputs, Required []string
}

// KnownProfile is a technical profile defined outside the checked files. Its Kind lets Check
// judge the metadata keys of a profile that overrides it.
type KnownProfile struct {
	ID   string
	Kind Kind
}

// StarterPack returns the ids defined by Microsoft's custom policy starter pack, the
// SocialAndLocalAccounts variant (TrustFrameworkBase.xml, TrustFrameworkLocalization.xml and
// TrustFrameworkExtensions.xml in Azure-Samples/active-directory-b2c-custom-policy-starterpack),
// which the bridge's files extend.
func StarterPack() KnownIDs {
	return KnownIDs{
		Policies: []string{
			"B2C_1A_TrustFrameworkBase",
			"B2C_1A_TrustFrameworkLocalization",
			"B2C_1A_TrustFrameworkExtensions",
		},
		ClaimTypes: []string{
			"issuerUserId", "tenantId", "objectId", "signInName", "signInNames.emailAddress",
			"accountEnabled", "password", "newPassword", "reenterPassword", "passwordPolicies",
			"client_id", "resource_id", "sub", "alternativeSecurityId", "mailNickName",
			"identityProvider", "displayName", "email", "otherMails", "userPrincipalName",
			"upnUserName", "newUser", "executed-SelfAsserted-Input", "authenticationSource",
			"refreshTokenIssuedOnDateTime", "refreshTokensValidFromDateTime", "nca", "grant_type",
			"scope", "objectIdFromSession", "isActiveMFASession", "givenName", "surname",
		},
		ClaimsTransformations: []string{
			"CreateOtherMailsFromEmail", "CreateRandomUPNUserName", "CreateUserPrincipalName",
			"CreateAlternativeSecurityId", "CreateSubjectClaimFromAlternativeSecurityId",
			"AssertAccountEnabledIsTrue", "AssertRefreshTokenIssuedLaterThanValidFromDate",
		},
		ContentDefinitions: []string{
			"api.error", "api.idpselections", "api.idpselections.signup", "api.signuporsignin",
			"api.selfasserted", "api.selfasserted.profileupdate", "api.localaccountsignup",
			"api.localaccountpasswordreset", "api.socialccountsignup", "api.localaccountsignin",
		},
		BooleanClaimTypes: []string{"accountEnabled", "newUser", "objectIdFromSession", "isActiveMFASession"},
		ClientDefinitions: []string{"DefaultWeb"},
		UserJourneys:      []string{"SignUpOrSignIn", "ProfileEdit", "PasswordReset", "RedeemRefreshToken"},
		TechnicalProfiles: []KnownProfile{
			{"Facebook-OAUTH", KindOAuth2},
			{"login-NonInteractive", KindOpenIDConnect},
			{"AAD-Common", KindAzureActiveDirectory},
			{"AAD-UserWriteUsingAlternativeSecurityId", KindAzureActiveDirectory},
			{"AAD-UserReadUsingAlternativeSecurityId", KindAzureActiveDirectory},
			{"AAD-UserReadUsingAlternativeSecurityId-NoError", KindAzureActiveDirectory},
			{"AAD-UserWriteUsingLogonEmail", KindAzureActiveDirectory},
			{"AAD-UserReadUsingEmailAddress", KindAzureActiveDirectory},
			{"AAD-UserWritePasswordUsingObjectId", KindAzureActiveDirectory},
			{"AAD-UserWriteProfileUsingObjectId", KindAzureActiveDirectory},
			{"AAD-UserReadUsingObjectId", KindAzureActiveDirectory},
			{"AAD-UserReadUsingObjectId-CheckRefreshTokenDate", KindAzureActiveDirectory},
			{"SelfAsserted-Social", KindSelfAsserted},
			{"SelfAsserted-ProfileUpdate", KindSelfAsserted},
			{"LocalAccountSignUpWithLogonEmail", KindSelfAsserted},
			{"SelfAsserted-LocalAccountSignin-Email", KindSelfAsserted},
			{"LocalAccountDiscoveryUsingEmailAddress", KindSelfAsserted},
			{"LocalAccountWritePasswordUsingObjectId", KindSelfAsserted},
			{"SM-Noop", KindSessionManagement},
			{"SM-AAD", KindSessionManagement},
			{"SM-SocialSignup", KindSessionManagement},
			{"SM-SocialLogin", KindSessionManagement},
			{"SM-jwt-issuer", KindSessionManagement},
			{"TpEngine_c3bd4fe2-1775-4013-b91d-35f16d377d13", KindNone},
			{"RefreshTokenReadAndSetup", KindNone},
			{"JwtIssuer", KindJWTIssuer},
		},
		// From TrustFrameworkBase.xml of the SocialAndLocalAccounts starter pack.
		ProfileClaims: map[string]KnownClaims{
			"SelfAsserted-LocalAccountSignin-Email": {Outputs: []string{"signInName", "password", "objectId", "authenticationSource", "objectIdFromSession"}},
			"LocalAccountSignUpWithLogonEmail": {Outputs: []string{"objectId", "email", "newPassword", "reenterPassword",
				"executed-SelfAsserted-Input", "authenticationSource", "newUser", "displayName", "givenName", "surname",
				"userPrincipalName", "signInNames.emailAddress", "objectIdFromSession"}},
			"SelfAsserted-Social": {Outputs: []string{"objectId", "newUser", "executed-SelfAsserted-Input", "displayName",
				"givenName", "surname", "otherMails", "objectIdFromSession"}, Required: []string{"alternativeSecurityId"}},
			"AAD-UserReadUsingObjectId": {Outputs: []string{"signInNames.emailAddress", "displayName", "otherMails", "givenName", "surname"},
				Required: []string{"objectId"}},
			"AAD-UserReadUsingAlternativeSecurityId": {Outputs: []string{"objectId", "userPrincipalName", "displayName", "otherMails",
				"givenName", "surname"}, Required: []string{"alternativeSecurityId"}},
			"AAD-UserReadUsingAlternativeSecurityId-NoError": {Outputs: []string{"objectId", "userPrincipalName", "displayName",
				"otherMails", "givenName", "surname"}, Required: []string{"alternativeSecurityId"}},
			"AAD-UserWriteUsingAlternativeSecurityId": {Outputs: []string{"objectId", "newUser", "otherMails", "objectIdFromSession"},
				Required: []string{"alternativeSecurityId"}},
			"AAD-UserWriteProfileUsingObjectId": {Required: []string{"objectId"}},
		},
		TransformationOutputs: map[string][]string{
			"CreateOtherMailsFromEmail":                   {"otherMails"},
			"CreateRandomUPNUserName":                     {"upnUserName"},
			"CreateUserPrincipalName":                     {"userPrincipalName"},
			"CreateAlternativeSecurityId":                 {"alternativeSecurityId"},
			"CreateSubjectClaimFromAlternativeSecurityId": {"sub"},
		},
	}
}
