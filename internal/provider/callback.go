package provider

import (
	"errors"
	"net/http"

	"slices"

	"idmebridge/internal/claims"
	"idmebridge/internal/idme"
	"idmebridge/internal/seal"
	"idmebridge/internal/store"
)

var callbackParams = []string{"state", "code", "error", "error_description"}

// callback is where ID.me sends the browser back. The sealed state says which relying party
// asked; from here on every failure goes back to it as an OAuth error.
func (p *Provider) callback(w http.ResponseWriter, r *http.Request) {
	params, problem := singleParams(r.URL.Query(), callbackParams...)
	if problem != "" {
		errorPage(w, http.StatusBadRequest, "invalid_request", "The answer from ID.me is malformed: "+problem+".")
		return
	}
	if params["state"] == "" {
		// ID.me may omit state on errors; with no state there is nowhere safe to send the user.
		msg := "The answer from ID.me did not say which sign-in it belongs to. Start the sign-in again."
		if params["error"] != "" {
			msg = "ID.me reported an error (" + errorCode(params["error"]) + ") and did not say which sign-in it belongs to. Start the sign-in again."
		}
		errorPage(w, http.StatusBadRequest, "invalid_request", msg)
		return
	}
	sealer, err := p.stateSealer(r.Context())
	if err != nil {
		p.log.Error("state key unavailable", "err", err)
		errorPage(w, http.StatusServiceUnavailable, "temporarily_unavailable", "The service is not ready. Try again shortly.")
		return
	}
	var s pendingSignIn
	openErr := sealer.Open(statePurpose, params["state"], &s)
	if openErr != nil && !errors.Is(openErr, seal.ErrExpired) {
		p.log.Warn("callback with a state that does not authenticate")
		errorPage(w, http.StatusBadRequest, "invalid_request", "This sign-in link is not valid. Start the sign-in again.")
		return
	}
	// The state is authentic, but the client or its redirect URI may have been removed since.
	if client, ok := p.cfg.Client(s.ClientID); !ok || !slices.Contains(client.RedirectURIs, s.RedirectURI) {
		errorPage(w, http.StatusBadRequest, "invalid_client", "The application that started this sign-in is no longer registered.")
		return
	}
	to := s.returnTo()
	switch {
	case errors.Is(openErr, seal.ErrExpired):
		p.redirectError(w, r, to, "access_denied", "the sign-in took too long; start again")
		return
	case !p.boundToBrowser(r, s):
		p.log.Warn("callback from a browser that did not start the sign-in", "client_id", s.ClientID)
		p.redirectError(w, r, to, "access_denied", "the sign-in must be finished in the browser that started it")
		return
	}
	// A state is good for one callback: a replayed or double-clicked callback must never make
	// the bridge present an ID.me code twice (that revokes what the first one obtained).
	switch err := p.store.Create(r.Context(), stateKey(params["state"]), nil, p.cfg.StateTTL+maxClockSkew); {
	case errors.Is(err, store.ErrExists):
		p.redirectError(w, r, to, "access_denied", "this sign-in was already completed; start again")
		return
	case err != nil:
		p.log.Error("store unavailable at callback", "err", err)
		p.redirectError(w, r, to, "temporarily_unavailable", "the sign-in could not be recorded; try again")
		return
	}
	if params["error"] != "" {
		code, desc := idme.ForRelyingParty(&idme.Error{Code: errorCode(params["error"])})
		p.redirectError(w, r, to, code, desc)
		return
	}
	if params["code"] == "" {
		p.redirectError(w, r, to, "server_error", "ID.me returned neither a code nor an error")
		return
	}
	result, err := p.completeWithIDme(r, s, params["code"])
	if err != nil {
		code, desc := idme.ForRelyingParty(err)
		if errors.Is(err, claims.ErrNoSubject) {
			code, desc = "server_error", "ID.me did not identify the user"
		}
		p.log.Warn("ID.me sign-in failed", "client_id", s.ClientID, "oauth_code", code, "err", err)
		p.redirectError(w, r, to, code, desc)
		return
	}
	code, err := p.issueCode(r.Context(), s, result)
	if err != nil {
		p.log.Error("could not store authorization code", "err", err)
		p.redirectError(w, r, to, "temporarily_unavailable", "the sign-in could not be recorded; try again")
		return
	}
	if p.records != nil {
		p.records.Submit(s.ClientID, result, p.now())
	}
	groups, _ := result["idme_groups"].([]string)
	p.log.Info("sign-in completed", "client_id", s.ClientID, "verified_groups", len(groups))
	p.redirect(w, r, to, map[string]string{"code": code})
}

// boundToBrowser reports whether the request carries the cookie the sign-in was bound to.
func (p *Provider) boundToBrowser(r *http.Request, s pendingSignIn) bool {
	c, err := r.Cookie(bindingCookie)
	return err == nil && digest(c.Value) == s.Binding
}

// completeWithIDme redeems ID.me's code (once), checks its id_token, makes the one
// attributes.json call the access token allows, and translates the answer into claims.
func (p *Provider) completeWithIDme(r *http.Request, s pendingSignIn, code string) (map[string]any, error) {
	ctx := r.Context()
	tokens, err := p.idme.Exchange(ctx, code, s.IDmeVerifier, append([]string{"openid"}, s.IDmeScopes...))
	if err != nil {
		return nil, err
	}
	if tokens.IDToken == "" {
		return nil, idme.ErrInvalidToken
	}
	subject, err := p.idme.VerifyIDToken(ctx, tokens.IDToken, s.IDmeNonce)
	if err != nil {
		return nil, err
	}
	attrs, err := p.idme.Attributes(ctx, tokens.AccessToken)
	if err != nil {
		return nil, err
	}
	v := claims.Verification{Attributes: map[string]string{}}
	for _, a := range attrs.Attributes {
		if !a.Null {
			v.Attributes[a.Handle] = a.Value
		}
	}
	if v.Attributes["uuid"] == "" {
		// attributes.json normally carries uuid; ID.me's id_token subject is the same user.
		v.Attributes["uuid"] = subject
	}
	for _, st := range attrs.Status {
		v.Groups = append(v.Groups, claims.Group{Name: st.Group, Subgroups: st.Subgroups, Verified: st.Verified})
	}
	return p.claims.Translate(v)
}
