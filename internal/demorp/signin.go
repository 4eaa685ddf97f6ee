package demorp

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/oauth2"
)

// signInError says which step of completing a sign-in failed, for the error page.
type signInError struct {
	title, hint string
	err         error
}

func (e *signInError) Error() string { return e.title + ": " + e.err.Error() }
func (e *signInError) Unwrap() error { return e.err }

// completeSignIn does what B2C does with a code: redeem it with client_secret_post, verify the
// id_token (signature, RS256, iss, aud, expiry, nonce), and read the claims from it. It also
// calls userinfo, which B2C does not, to show whether the two agree.
func (rp *RP) completeSignIn(ctx context.Context, op *upstream, login pendingLogin, code string) (*resultPage, error) {
	ctx, cancel := context.WithTimeout(rp.outboundContext(ctx), outboundTimeout)
	defer cancel()

	cfg := op.oauth
	cfg.Scopes = []string{login.scope}
	tok, err := cfg.Exchange(ctx, code)
	if err != nil {
		return nil, &signInError{"The token endpoint refused the code", "B2C would show the user an error page.", describeTokenError(err)}
	}
	rawIDToken, _ := tok.Extra("id_token").(string)
	if rawIDToken == "" {
		return nil, &signInError{"No id_token", "B2C reads claims only from the id_token, so it needs one.", errors.New("the token response has no id_token")}
	}

	idToken, err := op.verifier.Verify(ctx, rawIDToken)
	if err != nil {
		return nil, &signInError{"The id_token was rejected", "B2C checks the signature (AADB2C90239), iss (AADB2C90238) and aud (AADB2C90237) the same way.", err}
	}
	if subtle.ConstantTimeCompare([]byte(idToken.Nonce), []byte(login.nonce)) != 1 {
		return nil, &signInError{"The id_token was rejected", "B2C requires the nonce it sent to come back.", fmt.Errorf("nonce %q is not the one sent", idToken.Nonce)}
	}
	atHash := "not present"
	if idToken.AccessTokenHash != "" {
		if err := idToken.VerifyAccessToken(tok.AccessToken); err != nil {
			return nil, &signInError{"The id_token was rejected", "at_hash does not match the access token.", err}
		}
		atHash = "matches the access token"
	}

	result, err := newResultPage(rawIDToken)
	if err != nil {
		return nil, &signInError{"The id_token could not be displayed", "", err}
	}
	result.BaseURL = rp.baseURL
	result.Scope = login.scope
	result.Policies = strings.Join(login.policies, " ")
	result.Defaulted = login.defaulted
	result.Journey = login.journey
	result.Verdict = newVerdict(login.policies, result.claims)
	if rp.b2c != nil {
		profile := rp.b2c.SignIn
		if login.journey == journeyVerify {
			profile = rp.b2c.Verify
		}
		rows, dropped := b2cClaims(profile, result.claims)
		result.B2C = &b2cView{ProfileID: profile.ID, Rows: rows, Dropped: dropped}
	}
	result.LogoutURL = rp.logoutURL(op, rawIDToken)
	result.Checks = []check{
		{"Signature", fmt.Sprintf("%s with key %q from the bridge's JWKS", result.Alg, result.Kid)},
		{"Issuer (iss)", "equals " + rp.issuer},
		{"Audience (aud)", "contains " + rp.clientID},
		{"Expiry (exp)", "in the future"},
		{"Nonce", "equals the one sent"},
		{"at_hash", atHash},
	}
	result.UserInfo = rp.compareWithUserInfo(ctx, op, tok, result.claims)
	return result, nil
}

// describeTokenError keeps the OAuth error fields of a token endpoint failure readable.
func describeTokenError(err error) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response == nil {
		return err
	}
	msg := "HTTP " + re.Response.Status
	if re.ErrorCode != "" {
		msg += ": error=" + re.ErrorCode
		if re.ErrorDescription != "" {
			msg += ", error_description=" + re.ErrorDescription
		}
	} else if body := strings.TrimSpace(string(re.Body)); body != "" {
		msg += ": " + truncate(body, 500)
	}
	return &tokenEndpointError{summary: msg, err: re}
}

// tokenEndpointError is a RetrieveError with a shorter message than its own, which repeats
// the whole response body.
type tokenEndpointError struct {
	summary string
	err     *oauth2.RetrieveError
}

func (e *tokenEndpointError) Error() string { return e.summary }
func (e *tokenEndpointError) Unwrap() error { return e.err }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// compareWithUserInfo calls userinfo with the access token and compares its claims with the
// id_token's. A failure is reported, not fatal: B2C never calls userinfo.
func (rp *RP) compareWithUserInfo(ctx context.Context, op *upstream, tok *oauth2.Token, idClaims map[string]any) userInfoOutcome {
	info, err := op.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		return userInfoOutcome{Summary: "not checked: " + err.Error()}
	}
	var raw []byte
	if err := info.Claims((*rawJSON)(&raw)); err != nil {
		return userInfoOutcome{Summary: "not checked: " + err.Error()}
	}
	uiClaims, err := decodeClaims(raw)
	if err != nil {
		return userInfoOutcome{Summary: "not checked: " + err.Error()}
	}
	diffs := diffClaims(idClaims, uiClaims)
	if len(diffs) == 0 {
		return userInfoOutcome{Matched: true, Summary: "matches the id_token claims"}
	}
	return userInfoOutcome{Summary: "differs from the id_token claims", Differences: diffs}
}

// rawJSON captures a JSON document unchanged; go-oidc only offers claims through Unmarshal.
type rawJSON []byte

func (r *rawJSON) UnmarshalJSON(b []byte) error {
	*r = append((*r)[:0], b...)
	return nil
}
