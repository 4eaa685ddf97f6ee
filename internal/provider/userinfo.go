package provider

import (
	"errors"
	"net/http"
	"strings"

	"idmebridge/internal/store"
)

// userinfo answers the same claims as the id_token, as JSON, for the access token's grant
// (until it expires or the grant is revoked by a code replay).
func (p *Provider) userinfo(w http.ResponseWriter, r *http.Request) {
	token, problem := bearerToken(r)
	if problem != "" {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_request", error_description="`+problem+`"`)
		writeJSONError(w, http.StatusBadRequest, "invalid_request", problem)
		return
	}
	if token == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="idme-bridge"`)
		writeJSONError(w, http.StatusUnauthorized, "invalid_token", "an access token is required")
		return
	}
	ctx := r.Context()
	invalid := func() {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeJSONError(w, http.StatusUnauthorized, "invalid_token", "the access token is invalid, expired or revoked")
	}
	g, err := p.getGrant(ctx, tokenKey(token))
	switch {
	case errors.Is(err, store.ErrNotFound):
		invalid()
		return
	case err != nil:
		p.log.Error("store unavailable at userinfo", "err", err)
		writeJSONError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "try again shortly")
		return
	case g.Expires <= p.now().Unix():
		invalid()
		return
	}
	switch revoked, err := p.revoked(ctx, g.ID); {
	case err != nil:
		p.log.Error("store unavailable at userinfo", "err", err)
		writeJSONError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "try again shortly")
		return
	case revoked:
		invalid()
		return
	}
	writeJSON(w, http.StatusOK, g.Claims)
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
