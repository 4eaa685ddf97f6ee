package idmesim

import (
	"net/http"
	"net/url"
	"strings"
)

// maxQueryBytes bounds the authorize and logout query strings.
const maxQueryBytes = 8 << 10

// handleAuthorize is GET /oauth/authorize. Problems with the client or redirect_uri get an
// error page (never a redirect to an unverified place); every other problem goes back to the
// redirect_uri as an OAuth error.
func (s *Simulator) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	if len(r.URL.RawQuery) > maxQueryBytes {
		s.errorPage(w, http.StatusRequestURITooLong, "The request is too large.")
		return
	}
	s.authorize(w, r, r.URL.Query(), parseScope(r.URL.Query().Get("scope")))
}

// handleGroups is the groups page (groups.id.me in production): the communities come as
// "scopes", comma separated, and openid with any identity policy stays in "scope". The user
// verifies in one of the communities; everything else is as at /oauth/authorize.
func (s *Simulator) handleGroups(w http.ResponseWriter, r *http.Request) {
	if len(r.URL.RawQuery) > maxQueryBytes {
		s.errorPage(w, http.StatusRequestURITooLong, "The request is too large.")
		return
	}
	q := r.URL.Query()
	scopes := parseScope(q.Get("scope") + " " + strings.ReplaceAll(q.Get("scopes"), ",", " "))
	for _, sc := range strings.Split(q.Get("scopes"), ",") {
		if kind, _ := classifyScope(strings.TrimSpace(sc)); kind != scopeCommunity {
			s.errorPage(w, http.StatusBadRequest, "The groups page takes communities only in scopes.")
			return
		}
	}
	s.authorize(w, r, q, scopes)
}

// authorize checks an authorization request, shows the persona picker, and answers for the
// picked persona: a code when it satisfies the requested policy, the verification-needed page
// when it does not (as on ID.me, nobody gets through unverified), access_denied when it declines.
func (s *Simulator) authorize(w http.ResponseWriter, r *http.Request, q url.Values, scopes []string) {
	client, ok := s.client(q.Get("client_id"))
	if !ok {
		s.errorPage(w, http.StatusBadRequest, "Unknown client_id.")
		return
	}
	redirectURI := q.Get("redirect_uri")
	if !client.allowsRedirect(redirectURI) {
		s.errorPage(w, http.StatusBadRequest, "The redirect_uri is not registered for this client.")
		return
	}
	state := q.Get("state")
	fail := func(code, description string) {
		s.log.Info("authorize refused", "client_id", client.ID, "error", code)
		redirectWith(w, r, redirectURI, url.Values{"error": {code}, "error_description": {description}}, state)
	}

	if rt := q.Get("response_type"); rt != "code" {
		fail("unsupported_response_type", "response_type must be code")
		return
	}
	if len(scopes) == 0 {
		fail("invalid_request", "scope is required")
		return
	}
	for _, sc := range scopes {
		if kind, _ := classifyScope(sc); kind == scopeUnknown {
			fail("invalid_scope", "unknown scope: "+sc)
			return
		}
	}
	challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
	switch {
	case challenge == "" && method != "":
		fail("invalid_request", "code_challenge_method without code_challenge")
		return
	case challenge != "" && method != "S256":
		fail("invalid_request", "code_challenge_method must be S256")
		return
	case challenge != "" && !validPKCEValue(challenge):
		fail("invalid_request", "malformed code_challenge")
		return
	}

	picked, ok := q["persona"]
	if !ok {
		s.showPicker(w, r, client.ID, scopes)
		return
	}

	persona, ok := s.pickedPersona(picked)
	if !ok {
		s.errorPage(w, http.StatusBadRequest, "Unknown persona.")
		return
	}
	if persona.Cancels {
		fail("access_denied", "The user declined to share their information.")
		return
	}
	if !persona.Satisfies(scopes) {
		s.log.Info("verification needed", "client_id", client.ID, "persona", persona.ID)
		s.showVerificationNeeded(w, r, client.ID, persona, RequirementFor(scopes))
		return
	}

	code, err := randomToken()
	if err != nil {
		s.log.Error("authorize", "err", err)
		fail("server_error", "internal error")
		return
	}
	now := s.now()
	s.grants.putCode(code, codeGrant{
		clientID:    client.ID,
		redirectURI: redirectURI,
		personaID:   persona.ID,
		scopes:      scopes,
		nonce:       q.Get("nonce"),
		challenge:   challenge,
		expires:     now.Add(codeTTL),
	}, now)
	s.log.Info("authorization code issued", "client_id", client.ID, "persona", persona.ID)
	redirectWith(w, r, redirectURI, url.Values{"code": {code}}, state)
}

// pickedPersona resolves the persona parameter; it must name exactly one known persona.
func (s *Simulator) pickedPersona(values []string) (Persona, bool) {
	if len(values) != 1 {
		return Persona{}, false
	}
	p, ok := s.personas[values[0]]
	return p, ok
}

// showPicker lists the personas, each a link to this same request plus persona=<id>, and says
// which of them ID.me would stop for verification.
func (s *Simulator) showPicker(w http.ResponseWriter, r *http.Request, clientID string, scopes []string) {
	req := RequirementFor(scopes)
	page := pickerPage{ClientID: clientID, Scope: strings.Join(scopes, " "), Needs: req.describe()}
	for _, id := range s.order {
		p := s.personas[id]
		page.Personas = append(page.Personas, pickerLink{
			ID: p.ID, Label: p.Label, Href: withPersona(r, p.ID),
			Blocked: !p.Cancels && !p.Satisfies(scopes),
		})
	}
	s.renderPage(w, http.StatusOK, "picker", page)
}

// showVerificationNeeded is what ID.me shows someone who has not satisfied the policy: the
// verification step, a note about the support hotline, and no way on but to decline.
func (s *Simulator) showVerificationNeeded(w http.ResponseWriter, r *http.Request, clientID string, p Persona, req Requirement) {
	s.renderPage(w, http.StatusOK, "verify", verifyPage{
		ClientID: clientID, Persona: p.Label, Needs: req.describe(),
		Several: len(req.Communities) > 1, DeclineHref: withPersona(r, personaCancel),
	})
}

// withPersona is this same request with persona=<id>.
func withPersona(r *http.Request, id string) string {
	q := r.URL.Query()
	q.Set("persona", id)
	link := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
	return link.String()
}

// redirectWith sends the browser back to the (already validated) redirect URI with params
// added to whatever query it has. state is echoed only when the client sent one.
func redirectWith(w http.ResponseWriter, r *http.Request, redirectURI string, params url.Values, state string) {
	u, err := url.Parse(redirectURI)
	if err != nil { // registered URIs were parsed at New; this cannot happen
		http.Error(w, "bad redirect_uri", http.StatusInternalServerError)
		return
	}
	q := u.Query()
	for k, vs := range params {
		for _, v := range vs {
			q.Add(k, v)
		}
	}
	if state != "" {
		q.Set("state", state)
	}
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// validPKCEValue checks RFC 7636's shape for a code_verifier or S256 code_challenge:
// 43 to 128 unreserved characters.
func validPKCEValue(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for _, c := range v {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			c == '-', c == '.', c == '_', c == '~':
		default:
			return false
		}
	}
	return true
}
