package demorp

import (
	"crypto/rand"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"idmebridge/internal/htmlpage"
)

const journeyVerify = "verify"

// signInButton is one way to start a sign-in on the start page.
type signInButton struct {
	Label, Scope, Href, Note string
}

type indexPage struct {
	Issuer, ClientID, RedirectURI string
	Buttons                       []signInButton
	Verify                        *signInButton // the verify-military journey, when the policy is loaded
	SignedOut                     bool
	PolicyMissing                 bool
	Modes                         []htmlpage.Link
}

func (rp *RP) handleIndex(w http.ResponseWriter, r *http.Request) {
	page := indexPage{Issuer: rp.issuer, ClientID: rp.clientID, RedirectURI: rp.redirectURI, PolicyMissing: rp.b2c == nil, Modes: rp.modes}
	// The bridge sends the browser back here after sign-out with the state we gave it.
	if state := r.URL.Query().Get("state"); state != "" {
		if l, ok := rp.pending.take(state, rp.now()); ok && l.logout {
			page.SignedOut = true
		}
	}
	for _, c := range rp.choices {
		b := signInButton{
			Label: "Sign in with ID.me: " + c,
			Scope: scopeFor(c),
			Href:  rp.baseURL + "/login?" + url.Values{"policy": {c}}.Encode(),
		}
		if len(strings.Fields(c)) > 1 {
			b.Label = "Sign in with ID.me: " + strings.Join(strings.Fields(c), " or ")
			b.Note = "several communities: ID.me's groups flow, where verifying in one is enough"
		}
		page.Buttons = append(page.Buttons, b)
	}
	openidOnly := signInButton{Label: "Sign in with ID.me: openid only", Scope: scopeFor(""), Href: rp.baseURL + "/login"}
	if len(rp.defaults) > 0 {
		openidOnly.Note = "names no policy, so the bridge asks ID.me for this application's default: " + strings.Join(rp.defaults, " ")
	} else {
		openidOnly.Note = "names no policy; the bridge refuses it unless the application has a default"
	}
	page.Buttons = append(page.Buttons, openidOnly)
	if rp.b2c != nil {
		page.Verify = &signInButton{
			Label: "Verify military (the B2C_1A_IdmeBridge_VerifyMilitary journey)",
			Scope: rp.b2c.Verify.Scope,
			Href:  rp.baseURL + "/login?" + url.Values{"journey": {journeyVerify}}.Encode(),
			Note:  "ends on the policy's verification-required page for anyone ID.me did not verify",
		}
	}
	rp.renderPage(w, http.StatusOK, "index", page)
}

// handleVerifyStep shows the verify journey's verification-required page as the policy
// defines it.
func (rp *RP) handleVerifyStep(w http.ResponseWriter, _ *http.Request) {
	if rp.b2c == nil {
		rp.renderError(w, http.StatusNotFound, errorPage{Title: "No policy loaded", Message: policyMissingHint})
		return
	}
	rp.renderPage(w, http.StatusOK, "verify", verifyStepPage{Step: rp.b2c.VerifyStep, BaseURL: rp.baseURL})
}

type verifyStepPage struct {
	Step    VerificationStep
	BaseURL string
}

const policyMissingHint = "The shipped B2C policy files were not found, so the B2C view is not available. Run dev mode from the repository root, or give -policies the policies folder."

// handleLogin sends the browser to the bridge's authorization endpoint, as B2C does: code flow,
// form_post, a nonce, and no PKCE. An empty or absent policy asks for openid alone; the verify
// journey asks for what the policy's verify profile asks for.
func (rp *RP) handleLogin(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	policy, journey := q.Get("policy"), q.Get("journey")
	scope := scopeFor(policy)
	switch {
	case journey == journeyVerify && rp.b2c != nil:
		scope = rp.b2c.Verify.Scope
	case journey != "":
		rp.renderError(w, http.StatusBadRequest, errorPage{Title: "Unknown journey", Message: "This demo offers the verify journey only with the policy files loaded.", Detail: journey})
		return
	case policy != "" && !slices.Contains(rp.choices, policy):
		rp.renderError(w, http.StatusBadRequest, errorPage{
			Title:   "Unknown policy",
			Message: "This demo only offers the policies on its start page.",
			Detail:  policy,
		})
		return
	}

	op, err := rp.upstreamOP(r.Context())
	if err != nil {
		rp.log.Warn("discovery failed", "err", err)
		rp.renderError(w, http.StatusBadGateway, errorPage{
			Title:   "The bridge could not be reached",
			Message: "Discovery failed; it is tried again on the next sign-in. Is the bridge running?",
			Detail:  err.Error(),
		})
		return
	}

	// rand.Text carries 128+ bits of randomness, enough for both values.
	state, nonce := rand.Text(), rand.Text()
	login := pendingLogin{nonce: nonce, scope: scope, journey: journey, created: rp.now()}
	for _, s := range strings.Fields(scope) {
		if s != oidc.ScopeOpenID {
			login.policies = append(login.policies, s)
		}
	}
	if len(login.policies) == 0 {
		login.policies, login.defaulted = rp.defaults, true
	}
	rp.pending.add(state, login)

	cfg := op.oauth
	cfg.Scopes = []string{scope} // already space separated; x/oauth2 joins with spaces anyway
	target := cfg.AuthCodeURL(state,
		oidc.Nonce(nonce),
		oauth2.SetAuthURLParam("response_mode", "form_post"),
	)
	rp.log.Info("sign-in started", "scope", scope)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusFound)
}

// logoutURL is the bridge's end_session_endpoint for this id_token, coming back to the start
// page with a state remembered here; "" when the bridge advertises none.
func (rp *RP) logoutURL(op *upstream, rawIDToken string) string {
	if op.endSession == "" {
		return ""
	}
	state := rand.Text()
	rp.pending.add(state, pendingLogin{logout: true, created: rp.now()})
	q := url.Values{
		"id_token_hint":            {rawIDToken},
		"post_logout_redirect_uri": {rp.baseURL + "/"},
		"state":                    {state},
	}
	return op.endSession + "?" + q.Encode()
}

func scopeFor(policy string) string {
	if policy == "" {
		return oidc.ScopeOpenID
	}
	return oidc.ScopeOpenID + " " + policy
}
