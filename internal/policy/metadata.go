package policy

import (
	"slices"
	"strings"
)

// Kind is what a technical profile does, which decides the metadata keys it understands. It
// follows the Protocol element: its Name, and for Proprietary its Handler.
type Kind string

// Kinds of technical profile.
const (
	KindOpenIDConnect        Kind = "OpenIdConnect"
	KindOAuth2               Kind = "OAuth2"
	KindJWTIssuer            Kind = "JwtIssuer"
	KindSelfAsserted         Kind = "SelfAsserted"
	KindClaimsTransformation Kind = "ClaimsTransformation"
	KindAzureActiveDirectory Kind = "AzureActiveDirectory"
	KindRESTful              Kind = "RESTful"
	KindSessionManagement    Kind = "SessionManagement"
	KindNone                 Kind = "None"
)

// handlerKind maps the class in a Proprietary protocol's Handler to a kind. A handler missing
// here is reported: B2C would reject the policy at upload.
func handlerKind(handler string) (Kind, bool) {
	for _, h := range []struct {
		prefix string
		kind   Kind
	}{
		{"Web.TPEngine.Providers.SelfAssertedAttributeProvider,", KindSelfAsserted},
		{"Web.TPEngine.Providers.ClaimsTransformationProtocolProvider,", KindClaimsTransformation},
		{"Web.TPEngine.Providers.AzureActiveDirectoryProvider,", KindAzureActiveDirectory},
		{"Web.TPEngine.Providers.RestfulProvider,", KindRESTful},
		{"Web.TPEngine.SSO.", KindSessionManagement},
	} {
		if strings.HasPrefix(handler, h.prefix) {
			return h.kind, true
		}
	}
	return "", false
}

// kindOf reads a profile's own Protocol element. known is false when it has none (it inherits
// one) or names a handler this package does not recognise.
func kindOf(tp technicalProfile) (kind Kind, known bool) {
	if tp.Protocol == nil {
		return "", false
	}
	switch tp.Protocol.Name {
	case "OpenIdConnect":
		// The token issuer is an OpenIdConnect profile that writes a JWT, with its own keys.
		if strings.TrimSpace(tp.OutputTokenFormat) == "JWT" {
			return KindJWTIssuer, true
		}
		return KindOpenIDConnect, true
	case "OAuth2":
		return KindOAuth2, true
	case "None":
		return KindNone, true
	case "Proprietary":
		return handlerKind(strings.TrimSpace(tp.Protocol.Handler))
	}
	// SAML2, OAuth1 and others: a kind without an allow-list, so keys are not judged.
	return Kind(tp.Protocol.Name), true
}

// metadataKeys are the keys Microsoft documents for each kind of technical profile (the
// "Metadata" tables of the technical profile reference pages at learn.microsoft.com, under
// azure/active-directory-b2c). The schema accepts any key, and B2C ignores a key it does not
// know, so a misspelled key silently leaves a default in force.
func metadataKeys(kind Kind) ([]string, bool) {
	keys, ok := map[Kind][]string{
		KindOpenIDConnect: {
			"client_id", "IdTokenAudience", "METADATA", "authorization_endpoint",
			"end_session_endpoint", "issuer", "ProviderName", "response_types", "response_mode",
			"scope", "HttpBinding", "ValidTokenIssuerPrefixes", "UsePolicyInRedirectUri",
			"MarkAsFailureOnStatusCode5xx", "DiscoverMetadataByTokenIssuer",
			"IncludeClaimResolvingInClaimsHandling", "token_endpoint_auth_method",
			"token_signing_algorithm", "SingleLogoutEnabled", "ReadBodyClaimsOnIdpRedirect",
			"UserMessageIfClaimsPrincipalDoesNotExist", "UserMessageIfInvalidPassword",
			"UserMessageIfOldPasswordUsed",
		},
		KindOAuth2: {
			"client_id", "authorization_endpoint", "AccessTokenEndpoint", "ClaimsEndpoint",
			"ClaimsEndpointAccessTokenName", "ClaimsEndpointFormatName", "ClaimsEndpointFormat",
			"BearerTokenTransmissionMethod", "ProviderName", "ResponseErrorCodeParamName",
			"ExtraParamsInAccessTokenEndpointResponse", "ExtraParamsInClaimsEndpointRequest",
			"AccessTokenResponseFormat", "AdditionalRequestQueryParameters", "scope", "HttpBinding",
			"UsePolicyInRedirectUri", "response_types", "response_mode", "MarkAsFailureOnStatusCode5xx",
			"IncludeClaimResolvingInClaimsHandling", "ResolveJsonPathsInJsonTokens",
			"token_endpoint_auth_method", "token_signing_algorithm", "SingleLogoutEnabled",
			"UsePKCE", "end_session_endpoint",
		},
		KindJWTIssuer: {
			"client_id", "issuer_refresh_token_user_identity_claim_type",
			"SendTokenResponseBodyWithJsonNumbers", "token_lifetime_secs", "id_token_lifetime_secs",
			"refresh_token_lifetime_secs", "rolling_refresh_token_lifetime_secs",
			"IssuanceClaimPattern", "AuthenticationContextReferenceClaimPattern",
			"RefreshTokenUserJourneyId",
		},
		KindSelfAsserted: {
			"ContentDefinitionReferenceId", "setting.operatingMode",
			"AllowGenerationOfClaimsWithNullValues", "EnforceEmailVerification", "setting.retryLimit",
			"SignUpTarget", "setting.showCancelButton", "setting.showContinueButton",
			"setting.showSignupLink", "setting.forgotPasswordLinkLocation", "setting.enableRememberMe",
			"setting.inputVerificationDelayTimeInMilliseconds", "IncludeClaimResolvingInClaimsHandling",
			"setting.forgotPasswordLinkOverride", "IpAddressClaimReferenceId",
			"UserMessageIfClaimsTransformationBooleanValueIsNotEqual",
			"UserMessageIfClaimsTransformationStringsAreNotEqual",
		},
		KindClaimsTransformation: {"IncludeClaimResolvingInClaimsHandling", "ContentDefinitionReferenceId"},
		KindAzureActiveDirectory: {
			"Operation", "RaiseErrorIfClaimsPrincipalDoesNotExist",
			"RaiseErrorIfClaimsPrincipalAlreadyExists", "ApplicationObjectId", "ClientId",
			"IncludeClaimResolvingInClaimsHandling", "UserMessageIfClaimsPrincipalAlreadyExists",
			"UserMessageIfClaimsPrincipalDoesNotExist",
			// Not in the reference table, but set to 1.6 by Microsoft's account-linking samples
			// (azure-ad-b2c/samples) on the profiles that read and write userIdentities, so a
			// tenant's own files may carry it.
			"api-version",
		},
		KindRESTful: {
			"ServiceUrl", "AuthenticationType", "AllowInsecureAuthInProduction", "SendClaimsIn",
			"ClaimsFormat", "ClaimUsedForRequestPayload", "DebugMode",
			"IncludeClaimResolvingInClaimsHandling", "ResolveJsonPathsInJsonTokens",
			"UseClaimAsBearerToken", "DefaultUserMessageIfRequestFailed", "UserMessageIfCircuitOpen",
			"UserMessageIfDnsResolutionFailed", "UserMessageIfRequestTimeout",
		},
		KindSessionManagement: {"AlwaysFetchClaimsFromProvider", "IncludeSessionIndex", "RegisterServiceProviders"},
		KindNone:              {"url"},
	}[kind]
	if !ok {
		return nil, false
	}
	// These work on every technical profile: they drive EnabledForUserJourneys.
	return append(keys, "ClaimTypeOnWhichToEnable", "ClaimValueOnWhichToEnable"), true
}

// metadataPrefix is a family of keys whose suffix is free: the localized strings of a page.
func metadataPrefix(kind Kind) string {
	if kind == KindSelfAsserted {
		return "language."
	}
	return ""
}

// keyAllowed reports whether key is known for kind; checked is false for a kind without an
// allow-list.
func keyAllowed(kind Kind, key string) (allowed, checked bool) {
	keys, ok := metadataKeys(kind)
	if !ok {
		return true, false
	}
	if slices.Contains(keys, key) {
		return true, true
	}
	if p := metadataPrefix(kind); p != "" && strings.HasPrefix(key, p) && len(key) > len(p) {
		return true, true
	}
	return false, true
}

// closestKey suggests the allowed key nearest to a rejected one, or "" when none is close: a
// misspelling is usually a letter or two, or letter case.
func closestKey(kind Kind, key string) string {
	best, bestDist := "", 3
	keys, _ := metadataKeys(kind)
	for _, k := range keys {
		if strings.EqualFold(k, key) {
			return k
		}
		if d := distance(strings.ToLower(k), strings.ToLower(key)); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// distance is the Levenshtein edit distance between two short strings.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
