package provider

import (
	"net/http"
	"slices"

	"github.com/lestrrat-go/jwx/v2/jwt"
)

// pendingLogout is where to send the browser once ID.me has signed it out. It travels in a
// sealed cookie because ID.me's logout takes no state of ours.
type pendingLogout struct {
	RedirectURI string `json:"r"`
	State       string `json:"s,omitempty"`
}

const (
	logoutCookie  = "__Host-idme-bridge-logout"
	logoutPurpose = "logout"
)

var logoutParams = []string{"id_token_hint", "post_logout_redirect_uri", "client_id", "state"}

// logout is the end_session_endpoint (OIDC RP-Initiated Logout): it checks where the relying
// party wants the browser to end up, signs the user out at ID.me, and comes back.
func (p *Provider) logout(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		errorPage(w, http.StatusBadRequest, "invalid_request", "The request could not be read.")
		return
	}
	params, problem := singleParams(r.Form, logoutParams...)
	if problem != "" {
		errorPage(w, http.StatusBadRequest, "invalid_request", "The sign-out request is malformed: "+problem+".")
		return
	}
	clientID := params["client_id"]
	if hint := params["id_token_hint"]; hint != "" {
		aud, ok := p.hintAudience(r, hint)
		if !ok || (clientID != "" && clientID != aud) {
			errorPage(w, http.StatusBadRequest, "invalid_request", "The sign-out request's id_token_hint was not issued by this service to this application.")
			return
		}
		clientID = aud
	}
	if target := params["post_logout_redirect_uri"]; target != "" {
		client, ok := p.cfg.Client(clientID)
		if !ok || !slices.Contains(client.PostLogoutRedirectURIs, target) {
			errorPage(w, http.StatusBadRequest, "invalid_request", "The address to return to after sign-out is not registered for this application.")
			return
		}
		sealer, err := p.stateSealer(r.Context())
		if err != nil {
			errorPage(w, http.StatusServiceUnavailable, "temporarily_unavailable", "The service is not ready. Try again shortly.")
			return
		}
		sealed, err := sealer.Seal(logoutPurpose, pendingLogout{RedirectURI: target, State: params["state"]}, p.cfg.StateTTL)
		if err != nil {
			errorPage(w, http.StatusInternalServerError, "server_error", "The sign-out could not start.")
			return
		}
		http.SetCookie(w, &http.Cookie{
			Name: logoutCookie, Value: sealed, Path: "/", MaxAge: int(p.cfg.StateTTL.Seconds()),
			Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode,
		})
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, p.idme.LogoutURL(p.cfg.Issuer+PathLogoutCallback), http.StatusFound)
}

// hintAudience checks that an id_token_hint was signed by the bridge (expired is fine: the
// hint identifies, it does not authorise) and returns its audience.
func (p *Provider) hintAudience(r *http.Request, hint string) (string, bool) {
	set, err := p.keys.Current(r.Context())
	if err != nil {
		return "", false
	}
	tok, err := jwt.Parse([]byte(hint), jwt.WithKeySet(set.PublicSet(p.now())), jwt.WithValidate(false))
	if err != nil || tok.Issuer() != p.cfg.Issuer || len(tok.Audience()) != 1 {
		return "", false
	}
	return tok.Audience()[0], true
}

// logoutCallback is where ID.me returns after signing the user out.
func (p *Provider) logoutCallback(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(logoutCookie)
	if err != nil {
		writePage(w, http.StatusOK, pageData{Title: "Signed out", Message: "You are signed out. You can close this window."})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: logoutCookie, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	var pl pendingLogout
	sealer, err := p.stateSealer(r.Context())
	if err == nil {
		err = sealer.Open(logoutPurpose, c.Value, &pl)
	}
	if err != nil {
		writePage(w, http.StatusOK, pageData{Title: "Signed out", Message: "You are signed out. You can close this window."})
		return
	}
	target := pl.RedirectURI
	if pl.State != "" {
		target = addQuery(target, "state", pl.State)
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusFound)
}
