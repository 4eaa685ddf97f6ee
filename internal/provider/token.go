package provider

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwt"

	"idmebridge/internal/config"
	"idmebridge/internal/store"
)

var tokenParams = []string{"grant_type", "code", "redirect_uri", "code_verifier", "client_id", "client_secret"}

// tokenError is an OAuth error from the token endpoint (RFC 6749 section 5.2).
type tokenError struct {
	status      int
	code, desc  string
	basicScheme bool // answer 401 with a Basic challenge
}

func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	tok, terr := p.redeem(r)
	if terr != nil {
		if terr.basicScheme {
			w.Header().Set("WWW-Authenticate", `Basic realm="idme-bridge"`)
		}
		p.log.Info("token request refused", "oauth_code", terr.code, "description", terr.desc)
		writeJSONError(w, terr.status, terr.code, terr.desc)
		return
	}
	writeJSON(w, http.StatusOK, tok)
}

func (p *Provider) redeem(r *http.Request) (map[string]any, *tokenError) {
	bad := func(code, desc string) *tokenError {
		return &tokenError{status: http.StatusBadRequest, code: code, desc: desc}
	}
	if err := r.ParseForm(); err != nil {
		return nil, bad("invalid_request", "the request body could not be read as a form")
	}
	params, problem := singleParams(r.PostForm, tokenParams...)
	if problem != "" {
		return nil, bad("invalid_request", problem)
	}
	client, terr := p.authenticateClient(r, params)
	if terr != nil {
		return nil, terr
	}
	switch {
	case params["grant_type"] == "":
		return nil, bad("invalid_request", "grant_type is required")
	case params["grant_type"] != "authorization_code":
		return nil, bad("unsupported_grant_type", "only authorization_code is supported")
	case params["code"] == "":
		return nil, bad("invalid_request", "code is required")
	}
	ctx := r.Context()
	code := params["code"]
	g, err := p.getGrant(ctx, codeKey(code))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, bad("invalid_grant", "the code is unknown or expired")
	case err != nil:
		p.log.Error("store unavailable at token", "err", err)
		return nil, &tokenError{status: http.StatusServiceUnavailable, code: "temporarily_unavailable", desc: "codes cannot be checked right now"}
	}
	// Checks that do not burn the code: a code presented by the wrong party stays usable by
	// the right one.
	switch {
	case g.ClientID != client.ID:
		return nil, bad("invalid_grant", "the code was issued to another client")
	case params["redirect_uri"] != g.RedirectURI:
		return nil, bad("invalid_grant", "redirect_uri does not match the authorization request")
	case g.CodeChallenge != "" && params["code_verifier"] == "":
		return nil, bad("invalid_grant", "code_verifier is required")
	case g.CodeChallenge != "" && subtle.ConstantTimeCompare([]byte(s256(params["code_verifier"])), []byte(g.CodeChallenge)) != 1:
		return nil, bad("invalid_grant", "code_verifier does not match the code_challenge")
	case g.CodeChallenge == "" && params["code_verifier"] != "":
		return nil, bad("invalid_grant", "code_verifier sent but no code_challenge was")
	}
	// Tokens must be mintable before the code is burned: a failure after the burn would turn
	// the client's retry into a false replay.
	if set, err := p.keys.Current(ctx); err != nil || set.SigningKeyID(p.now(), p.cfg.TokenTTL) == "" {
		p.log.Error("no signing key available at token", "err", err)
		return nil, &tokenError{status: http.StatusServiceUnavailable, code: "temporarily_unavailable", desc: "tokens cannot be signed right now"}
	}
	switch err := p.store.Create(ctx, redeemedKey(code), nil, p.cfg.CodeTTL+maxClockSkew); {
	case errors.Is(err, store.ErrExists):
		p.revoke(ctx, g.ID)
		return nil, bad("invalid_grant", "the code was already used; tokens issued from it are revoked")
	case err != nil:
		p.log.Error("store unavailable at redemption", "err", err)
		return nil, &tokenError{status: http.StatusServiceUnavailable, code: "temporarily_unavailable", desc: "codes cannot be redeemed right now"}
	}
	resp, err := p.mintTokens(ctx, g)
	if err != nil {
		p.log.Error("could not issue tokens", "err", err)
		return nil, &tokenError{status: http.StatusInternalServerError, code: "server_error", desc: "tokens could not be issued"}
	}
	p.log.Info("tokens issued", "client_id", client.ID, "grant", g.ID[:8])
	return resp, nil
}

// revoke marks a grant revoked after its code was replayed (RFC 6749 section 4.1.2).
func (p *Provider) revoke(ctx context.Context, grantID string) {
	// The revocation must land even if the replaying client hangs up.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		err = p.store.Create(ctx, revokedKey(grantID), nil, p.cfg.TokenTTL+p.cfg.CodeTTL+maxClockSkew)
		if err == nil || errors.Is(err, store.ErrExists) {
			p.log.Warn("authorization code replayed: grant revoked", "grant", grantID[:8])
			return
		}
	}
	p.log.Error("could not record revocation after code replay", "err", err)
}

// authenticateClient accepts client_secret_basic or client_secret_post, never both, and
// compares secrets in constant time.
func (p *Provider) authenticateClient(r *http.Request, params map[string]string) (config.Client, *tokenError) {
	id, secret, basic := r.BasicAuth()
	if basic {
		if params["client_secret"] != "" {
			return config.Client{}, &tokenError{status: http.StatusBadRequest, code: "invalid_request", desc: "use one client authentication method, not two"}
		}
		var err1, err2 error
		id, err1 = url.QueryUnescape(id) // RFC 6749 section 2.3.1: form-encoded before Basic
		secret, err2 = url.QueryUnescape(secret)
		if err1 != nil || err2 != nil {
			return config.Client{}, &tokenError{status: http.StatusUnauthorized, code: "invalid_client", desc: "malformed client credentials", basicScheme: true}
		}
		if params["client_id"] != "" && params["client_id"] != id {
			return config.Client{}, &tokenError{status: http.StatusBadRequest, code: "invalid_request", desc: "client_id differs from the authenticated client"}
		}
	} else {
		id, secret = params["client_id"], params["client_secret"]
	}
	unauthorized := &tokenError{status: http.StatusUnauthorized, code: "invalid_client", desc: "client authentication failed", basicScheme: basic}
	if id == "" || secret == "" {
		return config.Client{}, unauthorized
	}
	client, ok := p.cfg.Client(id)
	if !ok {
		return config.Client{}, unauthorized
	}
	want, err := p.secrets.Get(r.Context(), client.SecretName)
	if err != nil {
		p.log.Error("client secret unavailable", "client_id", id, "err", err)
		return config.Client{}, &tokenError{status: http.StatusServiceUnavailable, code: "temporarily_unavailable", desc: "client credentials cannot be checked right now"}
	}
	// Hashing first makes the comparison constant-time in the length too.
	a, b := sha256.Sum256([]byte(secret)), sha256.Sum256([]byte(want))
	if subtle.ConstantTimeCompare(a[:], b[:]) != 1 {
		return config.Client{}, unauthorized
	}
	return client, nil
}

// mintTokens stores an access token for userinfo and signs the id_token.
func (p *Provider) mintTokens(ctx context.Context, g *grant) (map[string]any, error) {
	now := p.now()
	exp := now.Add(p.cfg.TokenTTL)
	accessToken := randomToken()
	at := *g
	at.Expires = exp.Unix()
	if err := p.putJSON(ctx, tokenKey(accessToken), at, p.cfg.TokenTTL); err != nil {
		return nil, err
	}
	b := jwt.NewBuilder().
		Issuer(p.cfg.Issuer).
		Audience([]string{g.ClientID}).
		IssuedAt(now).
		Expiration(exp).
		Claim("auth_time", g.AuthTime).
		Claim("at_hash", atHash(accessToken))
	if g.Nonce != "" {
		b = b.Claim("nonce", g.Nonce)
	}
	for k, v := range g.Claims {
		b = b.Claim(k, v)
	}
	tok, err := b.Build()
	if err != nil {
		return nil, err
	}
	set, err := p.keys.Current(ctx)
	if err != nil {
		return nil, err
	}
	idToken, err := set.Sign(tok, now, p.cfg.TokenTTL)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"access_token": accessToken,
		"token_type":   "Bearer",
		"expires_in":   int(p.cfg.TokenTTL / time.Second),
		"id_token":     string(idToken),
		"scope":        joinScopes(g.Scopes),
	}, nil
}

// atHash is the left half of the access token's SHA-256 (OIDC Core section 3.1.3.6, RS256).
func atHash(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

func joinScopes(s []string) string {
	out := ""
	for i, v := range s {
		if i > 0 {
			out += " "
		}
		out += v
	}
	return out
}
