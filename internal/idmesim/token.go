package idmesim

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxFormBytes bounds a token request body; a real one is well under 2 KiB.
const maxFormBytes = 64 << 10

// oauthError is an error answer from the token endpoint.
type oauthError struct {
	Code        string `json:"error"`
	Description string `json:"error_description"`
}

func (e *oauthError) Error() string { return e.Code + ": " + e.Description }

func invalidRequest(desc string) *oauthError { return &oauthError{"invalid_request", desc} }
func invalidGrant(desc string) *oauthError   { return &oauthError{"invalid_grant", desc} }
func invalidClient(desc string) *oauthError  { return &oauthError{"invalid_client", desc} }

type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
	IDToken      string `json:"id_token,omitempty"`
}

// handleToken is POST /oauth/token (authorization_code grant only). Errors are HTTP 400 with
// a JSON body, invalid_client included, as ID.me answers.
func (s *Simulator) handleToken(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	resp, err := s.exchangeCode(r)
	if err != nil {
		var oe *oauthError
		if !errors.As(err, &oe) {
			s.log.Error("token", "err", err)
			oe = &oauthError{"server_error", "internal error"}
			writeJSON(w, http.StatusInternalServerError, oe)
			return
		}
		s.log.Info("token refused", "error", oe.Code, "error_description", oe.Description)
		writeJSON(w, http.StatusBadRequest, oe)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Simulator) exchangeCode(r *http.Request) (*tokenResponse, error) {
	if err := r.ParseForm(); err != nil {
		return nil, invalidRequest("malformed or oversized form body")
	}
	form := r.PostForm
	client, err := s.authenticateClient(r)
	if err != nil {
		return nil, err
	}
	// Request-level checks come before the code is touched, so a malformed request does
	// not burn a good code.
	switch gt := form.Get("grant_type"); gt {
	case "authorization_code":
	case "":
		return nil, invalidRequest("grant_type is required")
	default:
		return nil, &oauthError{"unsupported_grant_type", "only authorization_code is supported"}
	}
	code, redirectURI := form.Get("code"), form.Get("redirect_uri")
	switch {
	case code == "":
		return nil, invalidRequest("code is required")
	case redirectURI == "":
		return nil, invalidRequest("redirect_uri is required")
	case strings.TrimSpace(form.Get("scope")) == "":
		return nil, invalidRequest("scope is required")
	}

	now := s.now()
	grant, err := s.grants.redeemCode(code, now)
	if err != nil {
		if errors.Is(err, errCodeReplayed) {
			s.log.Warn("authorization code replayed; tokens revoked", "client_id", client.ID)
		}
		return nil, invalidGrant(err.Error())
	}
	if grant.clientID != client.ID {
		return nil, invalidGrant("code was issued to another client")
	}
	if grant.redirectURI != redirectURI {
		return nil, invalidGrant("redirect_uri does not match the authorization request")
	}
	if err := checkPKCE(grant.challenge, form.Get("code_verifier")); err != nil {
		return nil, err
	}
	persona, ok := s.personas[grant.personaID]
	if !ok {
		return nil, fmt.Errorf("idmesim: persona %q vanished", grant.personaID)
	}

	access, err := randomToken()
	if err != nil {
		return nil, err
	}
	refresh, err := randomToken()
	if err != nil {
		return nil, err
	}
	resp := &tokenResponse{
		AccessToken: access,
		TokenType:   "bearer",
		ExpiresIn:   int(accessTokenTTL / time.Second),
		// Issued for shape only: the refresh grant is not simulated.
		RefreshToken: refresh,
		Scope:        strings.Join(grant.scopes, " "),
	}
	if hasScope(grant.scopes, "openid") {
		if resp.IDToken, err = s.idToken(persona, grant, now); err != nil {
			return nil, err
		}
	}
	if err := s.grants.issueToken(code, access, accessGrant{
		clientID:  client.ID,
		personaID: persona.ID,
		scopes:    grant.scopes,
		expires:   now.Add(accessTokenTTL),
	}, now); err != nil {
		return nil, invalidGrant(err.Error())
	}
	s.log.Info("tokens issued", "client_id", client.ID, "persona", persona.ID)
	return resp, nil
}

// authenticateClient accepts client_secret_basic or client_secret_post, not both at once.
func (s *Simulator) authenticateClient(r *http.Request) (Client, error) {
	postID, postSecret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	id, secret := postID, postSecret
	if basicID, basicSecret, hasBasic := r.BasicAuth(); hasBasic {
		if postSecret != "" {
			return Client{}, invalidRequest("use one client authentication method")
		}
		// RFC 6749 2.3.1: both parts are form-encoded before base64.
		var err1, err2 error
		id, err1 = url.QueryUnescape(basicID)
		secret, err2 = url.QueryUnescape(basicSecret)
		if err1 != nil || err2 != nil {
			return Client{}, invalidClient("malformed client credentials")
		}
		if postID != "" && postID != id {
			return Client{}, invalidRequest("client_id does not match the authenticated client")
		}
	}
	if id == "" || secret == "" {
		return Client{}, invalidClient("client authentication required")
	}
	c, ok := s.client(id)
	if !ok || subtle.ConstantTimeCompare([]byte(secret), []byte(c.Secret)) != 1 {
		return Client{}, invalidClient("client authentication failed")
	}
	return c, nil
}

// checkPKCE verifies the S256 code_verifier when the authorization request carried a
// challenge, and refuses a verifier nobody asked for (a downgrade sign).
func checkPKCE(challenge, verifier string) error {
	if challenge == "" {
		if verifier != "" {
			return invalidGrant("code_verifier sent but no code_challenge was")
		}
		return nil
	}
	if !validPKCEValue(verifier) {
		return invalidGrant("code_verifier missing or malformed")
	}
	sum := sha256.Sum256([]byte(verifier))
	got := base64.RawURLEncoding.EncodeToString(sum[:])
	if subtle.ConstantTimeCompare([]byte(got), []byte(challenge)) != 1 {
		return invalidGrant("code_verifier does not match code_challenge")
	}
	return nil
}

// idTokenClaims is ID.me's id_token: identity only, no group status. It is encoded from a
// struct, which costs a fraction of building a jwt.Token.
type idTokenClaims struct {
	Issuer   string   `json:"iss"`
	Subject  string   `json:"sub"`
	Audience []string `json:"aud"`
	IssuedAt int64    `json:"iat"`
	Expires  int64    `json:"exp"`
	Nonce    string   `json:"nonce,omitempty"`
	Email    string   `json:"email,omitempty"`
}

// idToken mints ID.me's id_token.
func (s *Simulator) idToken(p Persona, g codeGrant, now time.Time) (string, error) {
	payload, err := json.Marshal(idTokenClaims{
		Issuer:   s.issuer,
		Subject:  p.UUID,
		Audience: []string{g.clientID},
		IssuedAt: now.Unix(),
		Expires:  now.Add(accessTokenTTL).Unix(),
		Nonce:    g.nonce,
		Email:    p.attribute("email"),
	})
	if err != nil {
		return "", fmt.Errorf("idmesim: encode id_token: %w", err)
	}
	return s.signer.signPayload(payload)
}

// writeJSON writes v with headers that keep token material out of caches.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
