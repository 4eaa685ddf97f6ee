package provider

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"idmebridge/internal/config"
	"idmebridge/internal/idme"
)

// pendingSignIn is the relying party's request, carried sealed through ID.me in `state`: the
// bridge keeps no server-side session, so any instance can finish a sign-in another began.
type pendingSignIn struct {
	ClientID      string   `json:"c"`
	RedirectURI   string   `json:"r"`
	ResponseMode  string   `json:"m"`
	State         string   `json:"s,omitempty"`
	Nonce         string   `json:"n,omitempty"`
	CodeChallenge string   `json:"cc,omitempty"`
	Scopes        []string `json:"sc"`
	IDmeScopes    []string `json:"is"`
	IDmeNonce     string   `json:"in"`
	IDmeVerifier  string   `json:"iv"`
	Binding       string   `json:"b"` // SHA-256 of the browser-binding cookie
}

func (s pendingSignIn) returnTo() returnTo {
	return returnTo{RedirectURI: s.RedirectURI, ResponseMode: s.ResponseMode, State: s.State}
}

const statePurpose = "idme-state"

// bindingCookie ties a sign-in to the browser that began it, so a state lifted from one browser
// cannot be finished in another. __Host- forces Secure, Path=/ and no Domain.
const bindingCookie = "__Host-idme-bridge-binding"

var pkceChallengePattern = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

var authorizeParams = []string{"client_id", "redirect_uri", "response_type", "scope", "state", "nonce",
	"response_mode", "code_challenge", "code_challenge_method", "request", "request_uri", "prompt"}

func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		errorPage(w, http.StatusBadRequest, "invalid_request", "The request could not be read.")
		return
	}
	params, problem := singleParams(r.Form, authorizeParams...)
	if problem != "" {
		errorPage(w, http.StatusBadRequest, "invalid_request", "The request is malformed: "+problem+".")
		return
	}
	// Until the client and redirect URI are known to be registered, nothing is redirected.
	client, ok := p.cfg.Client(params["client_id"])
	if !ok {
		errorPage(w, http.StatusBadRequest, "invalid_client", "The application asking to sign you in is not registered with this service.")
		return
	}
	if !slices.Contains(client.RedirectURIs, params["redirect_uri"]) {
		errorPage(w, http.StatusBadRequest, "invalid_request", "The redirect URI is not registered for this application.")
		return
	}
	mode := params["response_mode"]
	if mode == "" {
		mode = client.DefaultResponseMode
	}
	modeValid := mode == "" || mode == "query" || mode == "form_post"
	if !modeValid || mode == "" {
		mode = "query"
	}
	to := returnTo{RedirectURI: params["redirect_uri"], ResponseMode: mode, State: params["state"]}
	fail := func(code, description string) { p.redirectError(w, r, to, code, description) }

	scopes := strings.Fields(params["scope"])
	switch {
	case !modeValid:
		fail("invalid_request", "response_mode must be query or form_post")
	case params["request"] != "" || params["request_uri"] != "":
		fail("request_not_supported", "request objects are not supported")
	case params["response_type"] == "":
		fail("invalid_request", "response_type is required")
	case params["response_type"] != "code":
		fail("unsupported_response_type", "only response_type=code is supported")
	case !slices.Contains(scopes, "openid"):
		fail("invalid_scope", "scope must include openid")
	case slices.Contains(strings.Fields(params["prompt"]), "none"):
		// Signing in at ID.me always involves the user.
		fail("login_required", "the user must sign in at ID.me")
	case params["code_challenge"] != "" && params["code_challenge_method"] != "S256":
		// Without a method RFC 7636 means plain, which is not supported.
		fail("invalid_request", "code_challenge_method must be S256")
	case params["code_challenge"] != "" && !pkceChallengePattern.MatchString(params["code_challenge"]):
		fail("invalid_request", "code_challenge is malformed")
	case params["code_challenge_method"] != "" && params["code_challenge"] == "":
		fail("invalid_request", "code_challenge_method without code_challenge")
	default:
		oidc, policies, problem := splitScopes(scopes, client)
		if problem != "" {
			fail("invalid_scope", problem)
			return
		}
		p.startIDmeSignIn(w, r, pendingSignIn{
			ClientID: client.ID, RedirectURI: to.RedirectURI, ResponseMode: mode, State: to.State,
			Nonce: params["nonce"], CodeChallenge: params["code_challenge"],
			Scopes: oidc, IDmeScopes: policies,
		})
	}
}

// splitScopes separates the OIDC scopes the bridge answers itself from the ID.me policies,
// which must be ones the client is allowed; with none asked for, the client's defaults apply.
func splitScopes(scopes []string, client config.Client) (oidc, policies []string, problem string) {
	for _, s := range scopes {
		switch {
		case slices.Contains(oidcScopes, s):
			if !slices.Contains(oidc, s) {
				oidc = append(oidc, s)
			}
		case s == "offline_access":
			// No refresh tokens are issued; ignoring the scope is what OIDC allows.
		case slices.Contains(client.IDmeScopes, s):
			if !slices.Contains(policies, s) {
				policies = append(policies, s)
			}
		default:
			return nil, nil, "scope " + s + " is not allowed for this application"
		}
	}
	if len(policies) == 0 {
		policies = slices.Clone(client.DefaultIDmeScopes)
	}
	if len(policies) == 0 {
		return nil, nil, "no ID.me policy requested and this application has no default"
	}
	return oidc, policies, ""
}

func (p *Provider) startIDmeSignIn(w http.ResponseWriter, r *http.Request, s pendingSignIn) {
	to := s.returnTo()
	sealer, err := p.stateSealer(r.Context())
	if err != nil {
		p.log.Error("state key unavailable", "err", err)
		p.redirectError(w, r, to, "temporarily_unavailable", "the bridge is not ready; try again shortly")
		return
	}
	binding := ""
	if c, err := r.Cookie(bindingCookie); err == nil && len(c.Value) == 43 {
		binding = c.Value // reuse, so sign-ins in several tabs do not undo each other
	} else {
		binding = randomToken()
	}
	http.SetCookie(w, &http.Cookie{
		Name: bindingCookie, Value: binding, Path: "/", MaxAge: int(p.cfg.StateTTL.Seconds()),
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
	s.Binding = digest(binding)
	s.IDmeNonce = randomToken()
	s.IDmeVerifier = randomToken()
	state, err := sealer.Seal(statePurpose, s, p.cfg.StateTTL)
	if err != nil {
		p.redirectError(w, r, to, "server_error", "could not start the sign-in")
		return
	}
	target := p.idme.AuthorizeURL(idme.AuthorizeRequest{
		Scopes: append([]string{"openid"}, s.IDmeScopes...), State: state,
		Nonce: s.IDmeNonce, CodeChallenge: s256(s.IDmeVerifier),
	})
	p.log.Info("sign-in started", "client_id", s.ClientID, "idme_scopes", s.IDmeScopes)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusFound)
}

// randomToken returns 256 random bits, URL-safe (43 characters).
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// digest is the SHA-256 of s, URL-safe: how secrets are compared and stored as keys.
func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// s256 is the PKCE S256 challenge of a verifier.
func s256(verifier string) string { return digest(verifier) }
