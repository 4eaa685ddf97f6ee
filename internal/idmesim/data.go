package idmesim

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/lestrrat-go/jwx/v2/jwt"
)

// attributesResponse is the body of attributes.json.
type attributesResponse struct {
	Attributes []Attribute `json:"attributes"`
	Status     []Status    `json:"status"`
}

// handleAttributes is GET /api/public/v3/attributes.json: the only place ID.me reports
// group status. It consumes the access token.
func (s *Simulator) handleAttributes(w http.ResponseWriter, r *http.Request) {
	grant, persona, ok := s.consumeBearer(w, r)
	if !ok {
		return
	}
	s.log.Info("attributes served", "client_id", grant.clientID, "persona", persona.ID)
	writeJSON(w, http.StatusOK, attributesResponse{
		Attributes: persona.Attributes,
		Status:     groupStatus(persona, grant.scopes),
	})
}

// handleUserinfo is GET /api/public/v3/userinfo: the persona's attributes as a signed JWT,
// sent as a JSON string, without group status. It consumes the access token too.
func (s *Simulator) handleUserinfo(w http.ResponseWriter, r *http.Request) {
	grant, persona, ok := s.consumeBearer(w, r)
	if !ok {
		return
	}
	signed, err := s.userinfoJWT(persona, grant.clientID)
	if err != nil {
		s.log.Error("userinfo", "err", err)
		writeJSON(w, http.StatusInternalServerError, &oauthError{"server_error", "internal error"})
		return
	}
	s.log.Info("userinfo served", "client_id", grant.clientID, "persona", persona.ID)
	writeJSON(w, http.StatusOK, signed)
}

// userinfoJWT signs the persona's non-null attributes, keyed by handle, as ID.me does.
func (s *Simulator) userinfoJWT(p Persona, clientID string) (string, error) {
	now := s.now()
	b := jwt.NewBuilder().
		Issuer(s.issuer).
		Subject(p.UUID).
		Audience([]string{clientID}).
		IssuedAt(now).
		Expiration(now.Add(accessTokenTTL))
	for _, a := range p.Attributes {
		if a.Value != nil {
			b = b.Claim(a.Handle, *a.Value)
		}
	}
	tok, err := b.Build()
	if err != nil {
		return "", fmt.Errorf("idmesim: build userinfo: %w", err)
	}
	return s.signer.signJWT(tok)
}

// consumeBearer redeems the request's bearer token, writing a 401 when it is missing,
// unknown, expired or already used.
func (s *Simulator) consumeBearer(w http.ResponseWriter, r *http.Request) (accessGrant, Persona, bool) {
	token, ok := bearerToken(r)
	if ok {
		if grant, used := s.grants.useToken(token, s.now()); used {
			if p, known := s.personas[grant.personaID]; known {
				return grant, p, true
			}
		}
	}
	w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	writeJSON(w, http.StatusUnauthorized, &oauthError{"invalid_token", "the access token is missing, expired, revoked or already used"})
	return accessGrant{}, Persona{}, false
}

// bearerToken reads an "Authorization: Bearer" header (scheme case-insensitive).
func bearerToken(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
