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
	State       []byte `json:"s,omitempty"`
}

// logoutConfirmation is what the sign-out confirmation form carries, sealed and tied to a
// cookie, so a page elsewhere cannot post the confirmation for the user.
type logoutConfirmation struct {
	Binding     string `json:"b"`
	RedirectURI string `json:"r,omitempty"`
	State       []byte `json:"s,omitempty"`
}

const (
	logoutCookie         = "__Host-idme-bridge-logout"
	logoutConfirmCookie  = "__Host-idme-bridge-logout-confirm"
	logoutPurpose        = "logout"
	logoutConfirmPurpose = "logout-confirm"
)

var logoutParams = []string{"id_token_hint", "post_logout_redirect_uri", "client_id", "state", "confirm"}

var logoutLimits = map[string]int{"id_token_hint": maxQueryBytes, "confirm": maxStateBytes}

// maxLogoutCookieBytes is the longest sealed logout cookie: browsers keep a cookie's name and
// value in 4096 bytes and silently drop a longer one, which would strand the user at ID.me's
// sign-out with no way back.
const maxLogoutCookieBytes = 4096 - len(logoutCookie) - 1

// tooLongForLogout is the page for a sign-out whose state and address would not survive the
// round trip; it is refused at the start rather than lost on the way.
func tooLongForLogout(w http.ResponseWriter) {
	errorPage(w, http.StatusBadRequest, "invalid_request", "The sign-out request's state and return address are too long.")
}

// logout is the end_session_endpoint (OIDC RP-Initiated Logout 1.0): it checks where the
// relying party wants the browser to end up, signs the user out at ID.me, and comes back.
// Without an id_token_hint the request could come from anyone, so the user confirms first.
func (p *Provider) logout(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		errorPage(w, http.StatusBadRequest, "invalid_request", "The request could not be read.")
		return
	}
	params, problem := singleParams(r.Form, logoutLimits, logoutParams...)
	if problem != "" {
		errorPage(w, http.StatusBadRequest, "invalid_request", "The sign-out request is malformed: "+problem+".")
		return
	}
	sealer, err := p.stateSealer(r.Context())
	if err != nil {
		errorPage(w, http.StatusServiceUnavailable, "temporarily_unavailable", "The service is not ready. Try again shortly.")
		return
	}
	target, state := params["post_logout_redirect_uri"], []byte(params["state"])
	if confirm := params["confirm"]; confirm != "" {
		// The confirmation form: its own sealed fields, checked against the cookie.
		var c logoutConfirmation
		cookie, cerr := r.Cookie(logoutConfirmCookie)
		if r.Method != http.MethodPost || cerr != nil || sealer.Open(logoutConfirmPurpose, confirm, &c) != nil || digest(cookie.Value) != c.Binding {
			errorPage(w, http.StatusBadRequest, "invalid_request", "The sign-out confirmation is not valid. Start the sign-out again.")
			return
		}
		clearCookie(w, logoutConfirmCookie)
		p.signOut(w, r, c.RedirectURI, c.State)
		return
	}
	clientID := params["client_id"]
	hint := params["id_token_hint"]
	if hint != "" {
		aud, ok := p.hintAudience(r, hint)
		if !ok || (clientID != "" && clientID != aud) {
			errorPage(w, http.StatusBadRequest, "invalid_request", "The sign-out request's id_token_hint was not issued by this service to this application.")
			return
		}
		clientID = aud
	}
	if target != "" {
		client, ok := p.cfg.Client(clientID)
		if !ok || !slices.Contains(client.PostLogoutRedirectURIs, target) {
			errorPage(w, http.StatusBadRequest, "invalid_request", "The address to return to after sign-out is not registered for this application.")
			return
		}
	}
	if hint == "" {
		p.confirmLogout(w, r, target, state)
		return
	}
	p.signOut(w, r, target, state)
}

// confirmLogout asks the user whether to sign out.
func (p *Provider) confirmLogout(w http.ResponseWriter, r *http.Request, target string, state []byte) {
	sealer, err := p.stateSealer(r.Context())
	if err != nil {
		errorPage(w, http.StatusServiceUnavailable, "temporarily_unavailable", "The service is not ready. Try again shortly.")
		return
	}
	binding := randomToken()
	token, err := sealer.Seal(logoutConfirmPurpose, logoutConfirmation{Binding: digest(binding), RedirectURI: target, State: state}, p.cfg.StateTTL)
	if err != nil {
		errorPage(w, http.StatusInternalServerError, "server_error", "The sign-out could not start.")
		return
	}
	// The confirmation comes back as a form field /logout accepts only up to maxStateBytes
	// (the logout cookie it becomes holds less: no binding).
	if len(token) > maxStateBytes {
		tooLongForLogout(w)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: logoutConfirmCookie, Value: binding, Path: "/", MaxAge: int(p.cfg.StateTTL.Seconds()),
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode,
	})
	writePage(w, http.StatusOK, pageData{
		Title: "Sign out?", Message: "Do you want to sign out of ID.me?",
		Action: p.cfg.Issuer + PathLogout, Fields: map[string]string{"confirm": token}, Button: "Sign out",
	})
}

// signOut remembers where to return (sealed cookie) and sends the browser to ID.me's logout.
func (p *Provider) signOut(w http.ResponseWriter, r *http.Request, target string, state []byte) {
	if target != "" {
		sealer, err := p.stateSealer(r.Context())
		if err != nil {
			errorPage(w, http.StatusServiceUnavailable, "temporarily_unavailable", "The service is not ready. Try again shortly.")
			return
		}
		sealed, err := sealer.Seal(logoutPurpose, pendingLogout{RedirectURI: target, State: state}, p.cfg.StateTTL)
		if err != nil {
			errorPage(w, http.StatusInternalServerError, "server_error", "The sign-out could not start.")
			return
		}
		if len(sealed) > maxLogoutCookieBytes {
			tooLongForLogout(w)
			return
		}
		http.SetCookie(w, &http.Cookie{
			Name: logoutCookie, Value: sealed, Path: "/", MaxAge: int(p.cfg.StateTTL.Seconds()),
			Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode,
		})
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, p.upstream.LogoutURL(p.cfg.Issuer+PathLogoutCallback), http.StatusFound)
}

func clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
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
	signedOut := pageData{Title: "Signed out", Message: "You are signed out. You can close this window."}
	c, err := r.Cookie(logoutCookie)
	if err != nil {
		writePage(w, http.StatusOK, signedOut)
		return
	}
	clearCookie(w, logoutCookie)
	var pl pendingLogout
	sealer, err := p.stateSealer(r.Context())
	if err == nil {
		err = sealer.Open(logoutPurpose, c.Value, &pl)
	}
	if err != nil {
		writePage(w, http.StatusOK, signedOut)
		return
	}
	target := pl.RedirectURI
	if len(pl.State) > 0 {
		target = addQuery(target, "state", string(pl.State))
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusFound)
}
