package demorp

import (
	"crypto/rand"
	"net/http"
	"net/url"
	"slices"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// signInButton is one way to start a sign-in on the start page.
type signInButton struct {
	Label, Scope, Href string
}

type indexPage struct {
	Issuer, ClientID, RedirectURI string
	Buttons                       []signInButton
}

func (rp *RP) handleIndex(w http.ResponseWriter, r *http.Request) {
	page := indexPage{Issuer: rp.issuer, ClientID: rp.clientID, RedirectURI: rp.redirectURI}
	for _, c := range rp.choices {
		page.Buttons = append(page.Buttons, signInButton{
			Label: "Sign in with ID.me: " + c,
			Scope: scopeFor(c),
			Href:  rp.baseURL + "/login?" + url.Values{"policy": {c}}.Encode(),
		})
	}
	page.Buttons = append(page.Buttons, signInButton{
		Label: "Sign in with ID.me: openid only",
		Scope: scopeFor(""),
		Href:  rp.baseURL + "/login",
	})
	rp.renderPage(w, http.StatusOK, "index", page)
}

// handleLogin sends the browser to the bridge's authorization endpoint, as B2C does: code flow,
// form_post, a nonce, and no PKCE. An empty or absent policy asks for openid alone.
func (rp *RP) handleLogin(w http.ResponseWriter, r *http.Request) {
	policy := r.URL.Query().Get("policy")
	if policy != "" && !slices.Contains(rp.choices, policy) {
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
	scope := scopeFor(policy)
	rp.pending.add(state, pendingLogin{nonce: nonce, scope: scope, created: rp.now()})

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

func scopeFor(policy string) string {
	if policy == "" {
		return oidc.ScopeOpenID
	}
	return oidc.ScopeOpenID + " " + policy
}
