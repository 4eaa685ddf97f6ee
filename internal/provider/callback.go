package provider

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"time"

	"idmebridge/internal/claims"
	"idmebridge/internal/outcome"
	"idmebridge/internal/seal"
	"idmebridge/internal/store"
	"idmebridge/internal/upstream"
)

var callbackParams = []string{"state", "code", "error", "error_description"}

var callbackLimits = map[string]int{"state": maxStateBytes}

// callback is where ID.me sends the browser back. The sealed state says which relying party
// asked; from here on every failure goes back to it as an OAuth error.
func (p *Provider) callback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	// Every way out of the callback is one outcome event; server_error until a path says.
	ev := signInEvent{start: time.Now(), outcome: outcome.ServerError}
	defer p.logSignIn(ctx, &ev)
	params, problem := singleParams(r.URL.Query(), callbackLimits, callbackParams...)
	if problem != "" {
		ev.fail(outcome.InvalidRequest, "invalid_request")
		errorPage(w, http.StatusBadRequest, "invalid_request", "The answer from ID.me is malformed: "+problem+".")
		return
	}
	if params["state"] == "" {
		// ID.me may omit state on errors; with no state there is nowhere safe to send the user.
		msg := "The answer from ID.me did not say which sign-in it belongs to. Start the sign-in again."
		if params["error"] != "" {
			msg = "ID.me reported an error and did not say which sign-in it belongs to. Start the sign-in again."
		}
		ev.fail(outcome.InvalidRequest, "invalid_request")
		errorPage(w, http.StatusBadRequest, "invalid_request", msg)
		return
	}
	sealer, err := p.stateSealer(ctx)
	if err != nil {
		p.log.Error("state key unavailable", "err", err)
		ev.fail(outcome.ServerError, "temporarily_unavailable")
		errorPage(w, http.StatusServiceUnavailable, "temporarily_unavailable", "The service is not ready. Try again shortly.")
		return
	}
	var s pendingSignIn
	openErr := sealer.Open(statePurpose, params["state"], &s)
	fingerprint, fpErr := stateFingerprint(params["state"])
	if (openErr != nil && !errors.Is(openErr, seal.ErrExpired)) || fpErr != nil {
		p.log.Warn("callback with a state that does not authenticate")
		ev.fail(outcome.InvalidRequest, "invalid_request")
		errorPage(w, http.StatusBadRequest, "invalid_request", "This sign-in link is not valid. Start the sign-in again.")
		return
	}
	// The state is authentic, but the client or its redirect URI may have been removed since.
	client, ok := p.cfg.Client(s.ClientID)
	if !ok || !slices.Contains(client.RedirectURIs, s.RedirectURI) {
		ev.fail(outcome.InvalidRequest, "invalid_client")
		errorPage(w, http.StatusBadRequest, "invalid_client", "The application that started this sign-in is no longer registered.")
		return
	}
	ev.clientID, ev.policies = client.ID, s.Policies
	to := s.returnTo()
	fail := func(result string, e *oauthError) {
		ev.fail(result, e.Code)
		p.redirectError(w, r, to, e)
	}
	switch {
	case errors.Is(openErr, seal.ErrExpired):
		fail(outcome.InvalidRequest, oauthErr("access_denied", "the sign-in took too long; start again"))
		return
	case !p.boundToBrowser(r, s):
		p.log.Warn("callback from a browser that did not start the sign-in", "client_id", s.ClientID)
		fail(outcome.InvalidRequest, oauthErr("access_denied", "the sign-in must be finished in the browser that started it"))
		return
	}
	// A state is good for one callback: a replayed or double-clicked callback must never make
	// the bridge present an ID.me code twice (that revokes what the first one obtained). This
	// is the callback's one storage round trip; the ledger is keyed on the state's bytes.
	began := time.Now()
	err = p.store.Create(ctx, stateKey(fingerprint), nil, p.cfg.StateTTL+maxClockSkew)
	ev.state = time.Since(began)
	switch {
	case errors.Is(err, store.ErrExists):
		fail(outcome.InvalidRequest, oauthErr("access_denied", "this sign-in was already completed; start again"))
		return
	case err != nil:
		p.storeFailed(ctx, "callback", err)
		fail(outcome.StorageError, oauthErr("temporarily_unavailable", "the sign-in could not be recorded; try again"))
		return
	}
	answer := url.Values{}
	for _, k := range []string{"code", "error"} {
		if v := params[k]; v != "" {
			answer.Set(k, v)
		}
	}
	identity, err := p.upstream.HandleCallback(ctx, s.Upstream, answer)
	if err != nil {
		ue := upstream.AsError(err)
		p.log.Warn("ID.me sign-in failed", "client_id", s.ClientID, "oauth_code", safeCode(ue.Code), "err", err)
		ev.failUpstream(ue)
		p.redirectError(w, r, to, oauthErr(ue.Code, ue.Description))
		return
	}
	translated, err := p.translate(identity)
	if err != nil {
		p.log.Warn("ID.me sign-in could not be translated", "client_id", s.ClientID, "err", err)
		ev.timing = identity.Timing
		ev.failTranslate(err)
		p.redirectError(w, r, to, oauthErr("server_error", "ID.me did not identify the user"))
		return
	}
	authTime := p.now()
	if !identity.AuthTime.IsZero() {
		authTime = identity.AuthTime
	}
	released, err := tokenClaims(releasedClaims(client, s.Scopes, translated))
	var code string
	if err == nil {
		code, err = sealer.Seal(codePurpose(s.ClientID), grant{
			ID: randomToken(), ClientID: s.ClientID, RedirectURI: s.RedirectURI, Subject: identity.Subject,
			Nonce: string(s.Nonce), CodeChallenge: s.CodeChallenge, Scopes: s.Scopes,
			Claims: released, AuthTime: authTime.Unix(), Format: grantFormat,
		}, p.cfg.CodeTTL)
	}
	if err != nil {
		p.log.Error("could not seal authorization code", "err", err)
		ev.timing = identity.Timing
		fail(outcome.ServerError, oauthErr("server_error", "the sign-in could not be completed"))
		return
	}
	if len(code) > maxCodeBytes {
		// The token endpoint would refuse it: say so now rather than hand out a dead code.
		p.log.Warn("ID.me's answer is too large to carry in a code", "client_id", s.ClientID, "code_bytes", len(code))
		ev.timing = identity.Timing
		fail(outcome.ServerError, oauthErr("server_error", "ID.me's answer is too large"))
		return
	}
	if p.records != nil {
		p.records.Submit(s.ClientID, translated, p.now())
	}
	ev.succeed(identity)
	p.redirect(w, r, to, map[string]string{"code": code})
}

// boundToBrowser reports whether the request carries the cookie the sign-in was bound to.
func (p *Provider) boundToBrowser(r *http.Request, s pendingSignIn) bool {
	c, err := r.Cookie(bindingCookie)
	return err == nil && digest(c.Value) == s.Binding
}

// translate turns the upstream identity into the claims the bridge issues.
func (p *Provider) translate(id upstream.Identity) (map[string]any, error) {
	if id.Subject == "" {
		return nil, claims.ErrNoSubject
	}
	v := claims.Verification{Attributes: id.Attributes, ReadAt: p.now()}
	for _, g := range id.Groups {
		v.Groups = append(v.Groups, claims.Group{Name: g.Name, Subgroups: g.Subgroups, Verified: g.Verified})
	}
	return p.claims.Translate(v)
}
