package provider

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"idmebridge/internal/seal"
)

// userinfo answers the same claims as the id_token, as JSON, for the access token's grant
// (until it expires or the grant is revoked by a code replay). The access token is sealed and
// self-contained: the revocation ledger is the only lookup.
func (p *Provider) userinfo(w http.ResponseWriter, r *http.Request) {
	token, problem := bearerToken(r)
	if problem != "" {
		e := oauthErr("invalid_request", problem)
		e.Challenge = "Bearer"
		e.writeJSON(w)
		return
	}
	if token == "" {
		(&oauthError{Code: "invalid_token", Description: "an access token is required", Status: http.StatusUnauthorized, Challenge: "Bearer", bareChallenge: true}).writeJSON(w)
		return
	}
	invalid := &oauthError{Code: "invalid_token", Description: "the access token is invalid, expired or revoked", Status: http.StatusUnauthorized, Challenge: "Bearer"}
	ctx := r.Context()
	sealer, err := p.stateSealer(ctx)
	if err != nil {
		p.log.Error("state key unavailable at userinfo", "err", err)
		oauthErr("temporarily_unavailable", "try again shortly").writeJSON(w)
		return
	}
	var at accessGrant
	if err := sealer.Open(accessPurpose, token, &at); err != nil {
		if !errors.Is(err, seal.ErrExpired) && !errors.Is(err, seal.ErrInvalid) {
			p.log.Warn("access token unreadable", "err", err)
		}
		invalid.writeJSON(w)
		return
	}
	switch revoked, err := p.revoked(ctx, at.GrantID); {
	case err != nil:
		p.storeFailed(ctx, "userinfo", err)
		oauthErr("temporarily_unavailable", "try again shortly").writeJSON(w)
		return
	case revoked:
		invalid.writeJSON(w)
		return
	}
	var out map[string]any
	if len(at.Claims) > 0 {
		if err := json.Unmarshal(at.Claims, &out); err != nil {
			p.log.Warn("access token claims unreadable", "err", err)
			invalid.writeJSON(w)
			return
		}
	}
	if out == nil { // no claims, or null (a token sealed by an earlier version without any)
		out = map[string]any{}
	}
	out["sub"] = at.Subject
	writeJSON(w, http.StatusOK, out)
}

// bearerToken reads the access token from the Authorization header or, for a form POST, from
// the access_token field (RFC 6750 sections 2.1 and 2.2); using both is an error.
func bearerToken(r *http.Request) (string, string) {
	header := ""
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, value, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return "", "the Authorization header must use the Bearer scheme"
		}
		header = strings.TrimSpace(value)
	}
	body := ""
	if r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		if err := r.ParseForm(); err != nil {
			return "", "the request body could not be read"
		}
		if vs := r.PostForm["access_token"]; len(vs) > 1 {
			return "", "access_token is repeated"
		} else if len(vs) == 1 {
			body = vs[0]
		}
	}
	if header != "" && body != "" {
		return "", "send the access token one way, not two"
	}
	return header + body, ""
}
