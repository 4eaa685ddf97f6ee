package provider

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"idmebridge/internal/config"
	"idmebridge/internal/outcome"
	"idmebridge/internal/seal"
	"idmebridge/internal/store"
)

var tokenParams = []string{"grant_type", "code", "redirect_uri", "code_verifier", "client_id", "client_secret"}

// tokenLimits: a code carries its sealed grant, so it is longer than other parameters.
var tokenLimits = map[string]int{"code": maxCodeBytes}

// tokenResponse is the token endpoint's answer (RFC 6749 section 5.1, OIDC Core 3.1.3.3).
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	IDToken     string `json:"id_token"`
	Scope       string `json:"scope,omitempty"`
}

func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	ev := tokenEvent{start: time.Now()}
	defer p.logToken(r.Context(), &ev)
	tok, e := p.redeem(r, &ev)
	if e != nil {
		p.log.Info("token request refused", "oauth_code", e.Code, "description", safeDescription(e.Description))
		ev.errCode = safeCode(e.Code)
		if ev.outcome == "" {
			ev.outcome = tokenOutcome(e.Code)
		}
		e.writeJSON(w)
		return
	}
	ev.outcome = outcome.Issued
	writeJSON(w, http.StatusOK, tok)
}

// redeem checks the client and the code, mints the tokens, and only then burns the code: a
// failure before the burn leaves the code usable for the client's retry, and nothing after the
// burn can fail.
func (p *Provider) redeem(r *http.Request, ev *tokenEvent) (*tokenResponse, *oauthError) {
	if err := r.ParseForm(); err != nil {
		return nil, oauthErr("invalid_request", "the request body could not be read as a form")
	}
	params, problem := singleParams(r.PostForm, tokenLimits, tokenParams...)
	if problem != "" {
		return nil, oauthErr("invalid_request", problem)
	}
	client, e := p.authenticateClient(r, params)
	if client.ID != "" {
		ev.clientID = client.ID // registered: an unknown id would be whatever the caller sent
	}
	if e != nil {
		return nil, e
	}
	switch {
	case params["grant_type"] == "":
		return nil, oauthErr("invalid_request", "grant_type is required")
	case params["grant_type"] != "authorization_code":
		return nil, oauthErr("unsupported_grant_type", "only authorization_code is supported")
	case params["code"] == "":
		return nil, oauthErr("invalid_request", "code is required")
	}
	ctx := r.Context()
	sealer, err := p.stateSealer(ctx)
	if err != nil {
		p.log.Error("state key unavailable at token", "err", err)
		return nil, oauthErr("temporarily_unavailable", "codes cannot be checked right now")
	}
	var g grant
	// The purpose names the authenticated client: another client's code does not open.
	switch err := sealer.Open(codePurpose(client.ID), params["code"], &g); {
	case errors.Is(err, seal.ErrExpired):
		return nil, oauthErr("invalid_grant", "the code has expired")
	case err != nil:
		return nil, oauthErr("invalid_grant", "the code is unknown or was issued to another client")
	}
	if g.Format < grantFormat {
		// Sealed by the previous version, minutes ago at most: its claims still hold protocol names.
		if err := g.filterLegacyClaims(); err != nil {
			return nil, oauthErr("invalid_grant", "the code is unknown or was issued to another client")
		}
	}
	// Checks that do not burn the code: a code presented by the wrong party stays usable by
	// the right one.
	verifier := params["code_verifier"]
	switch {
	case g.ClientID != client.ID:
		return nil, oauthErr("invalid_grant", "the code was issued to another client")
	case params["redirect_uri"] != g.RedirectURI:
		return nil, oauthErr("invalid_grant", "redirect_uri does not match the authorization request")
	case g.CodeChallenge != "" && verifier == "":
		return nil, oauthErr("invalid_grant", "code_verifier is required")
	case verifier != "" && !pkcePattern.MatchString(verifier):
		return nil, oauthErr("invalid_request", "code_verifier must be 43 to 128 unreserved characters")
	case g.CodeChallenge != "" && subtle.ConstantTimeCompare([]byte(s256(verifier)), []byte(g.CodeChallenge)) != 1:
		return nil, oauthErr("invalid_grant", "code_verifier does not match the code_challenge")
	case g.CodeChallenge == "" && verifier != "":
		return nil, oauthErr("invalid_grant", "code_verifier sent but no code_challenge was")
	}
	began := time.Now()
	resp, err := p.mintTokens(ctx, sealer, &g)
	ev.signing = time.Since(began)
	if err != nil {
		p.log.Error("could not issue tokens", "err", err)
		return nil, oauthErr("temporarily_unavailable", "tokens cannot be signed right now")
	}
	// Burn last: the one storage round trip of the token endpoint.
	began = time.Now()
	err = p.store.Create(ctx, redeemedKey(g.ID), nil, p.cfg.CodeTTL+maxClockSkew)
	ev.burn = time.Since(began)
	switch {
	case errors.Is(err, store.ErrExists):
		p.revoke(ctx, g.ID)
		return nil, oauthErr("invalid_grant", "the code was already used; tokens issued from it are revoked")
	case err != nil:
		p.storeFailed(ctx, "redemption", err)
		ev.outcome = outcome.StorageError
		return nil, oauthErr("temporarily_unavailable", "codes cannot be redeemed right now")
	}
	return resp, nil
}

// authenticateClient accepts client_secret_basic or client_secret_post, never both, and
// compares secrets in constant time, against the current and the previous secret during a
// rotation. On a wrong secret it still returns the registered client, with the error.
func (p *Provider) authenticateClient(r *http.Request, params map[string]string) (config.Client, *oauthError) {
	id, secret, basic := r.BasicAuth()
	challenge := ""
	if basic {
		challenge = "Basic"
		if params["client_secret"] != "" {
			return config.Client{}, oauthErr("invalid_request", "use one client authentication method, not two")
		}
		var err1, err2 error
		id, err1 = url.QueryUnescape(id) // RFC 6749 section 2.3.1: form-encoded before Basic
		secret, err2 = url.QueryUnescape(secret)
		if err1 != nil || err2 != nil {
			return config.Client{}, &oauthError{Code: "invalid_client", Description: "malformed client credentials", Status: http.StatusUnauthorized, Challenge: challenge}
		}
		if params["client_id"] != "" && params["client_id"] != id {
			return config.Client{}, oauthErr("invalid_request", "client_id differs from the authenticated client")
		}
	} else {
		id, secret = params["client_id"], params["client_secret"]
	}
	unauthorized := &oauthError{Code: "invalid_client", Description: "client authentication failed", Status: http.StatusUnauthorized, Challenge: challenge}
	if id == "" || secret == "" {
		return config.Client{}, unauthorized
	}
	client, ok := p.cfg.Client(id)
	if !ok {
		return config.Client{}, unauthorized
	}
	ok, err := p.secretMatches(r.Context(), client, secret)
	if err != nil {
		p.log.Error("client secret unavailable", "client_id", id, "err", err)
		return client, oauthErr("temporarily_unavailable", "client credentials cannot be checked right now")
	}
	if !ok {
		return client, unauthorized // a registered client, named in the outcome event
	}
	return client, nil
}

// secretMatches compares secret with each of the client's secrets (at most two: current and
// previous), always both, in constant time. A missing previous secret is no match, not an error.
func (p *Provider) secretMatches(ctx context.Context, client config.Client, secret string) (bool, error) {
	got := sha256.Sum256([]byte(secret)) // hashing first makes the comparison constant-time in the length too
	match := 0
	for i, name := range client.SecretNames() {
		want, err := p.secrets.Get(ctx, name)
		if err != nil {
			if i > 0 {
				continue // the previous secret is optional, and may already be deleted
			}
			return false, err
		}
		w := sha256.Sum256([]byte(want))
		match |= subtle.ConstantTimeCompare(got[:], w[:])
	}
	return match == 1, nil
}

// mintTokens seals the access token and signs the id_token; nothing is stored.
func (p *Provider) mintTokens(ctx context.Context, sealer *seal.Sealer, g *grant) (*tokenResponse, error) {
	now := p.now()
	accessToken, err := sealer.Seal(accessPurpose, accessGrant{GrantID: g.ID, ClientID: g.ClientID, Subject: g.Subject, Claims: g.Claims}, p.cfg.TokenTTL)
	if err != nil {
		return nil, err
	}
	payload, err := encodeIDToken(idTokenProtocol{
		Issuer: p.cfg.Issuer, Subject: g.Subject, Audience: g.ClientID,
		Expires: now.Add(p.cfg.TokenTTL).Unix(), IssuedAt: now.Unix(), AuthTime: g.AuthTime,
		Nonce: g.Nonce, AtHash: atHash(accessToken),
	}, g.Claims)
	if err != nil {
		return nil, err
	}
	set, err := p.keys.Current(ctx)
	if err != nil {
		return nil, err
	}
	idToken, err := set.SignPayload(payload, now, p.cfg.TokenTTL)
	if err != nil {
		return nil, err
	}
	return &tokenResponse{
		AccessToken: accessToken, TokenType: "Bearer", ExpiresIn: int(p.cfg.TokenTTL / time.Second),
		IDToken: string(idToken), Scope: strings.Join(g.Scopes, " "),
	}, nil
}
