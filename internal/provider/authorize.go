package provider

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"idmebridge/internal/config"
	"idmebridge/internal/outcome"
	"idmebridge/internal/seal"
	"idmebridge/internal/upstream"
)

// pendingSignIn is the relying party's request, carried sealed through ID.me in `state`: the
// bridge keeps no server-side session, so any instance can finish a sign-in another began.
type pendingSignIn struct {
	ClientID      string   `json:"c"`
	RedirectURI   string   `json:"r"`
	ResponseMode  string   `json:"m"`
	State         []byte   `json:"s,omitempty"` // bytes, so even invalid UTF-8 comes back unchanged
	Nonce         []byte   `json:"n,omitempty"`
	CodeChallenge string   `json:"cc,omitempty"`
	Scopes        []string `json:"sc"`
	Upstream      []byte   `json:"u"` // the connector's own data (nonce, PKCE verifier)
	Binding       string   `json:"b"` // SHA-256 of the browser-binding cookie
	// Policies are the ID.me policies asked for, space separated: the sign-in's outcome event
	// names them, and only the connector can read Upstream.
	Policies string `json:"p,omitempty"`
}

func (s pendingSignIn) returnTo() returnTo {
	return returnTo{RedirectURI: s.RedirectURI, ResponseMode: s.ResponseMode, State: string(s.State)}
}

const statePurpose = "idme-state"

// maxStateBytes is the longest sealed state /callback accepts. /authorize refuses, as an OAuth
// error to the client, a request whose sealed state would be longer, rather than let the user
// finish at ID.me and then hit a dead end.
const maxStateBytes = 4096

// bindingCookie ties a sign-in to the browser that began it, so a state lifted from one browser
// cannot be finished in another. __Host- forces Secure, Path=/ and no Domain.
const bindingCookie = "__Host-idme-bridge-binding"

// pkcePattern is RFC 7636's shape for a code_challenge (S256, base64url of 32 bytes is 43) and
// for a code_verifier: 43 to 128 unreserved characters.
var pkcePattern = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

var authorizeParams = []string{"client_id", "redirect_uri", "response_type", "scope", "state", "nonce",
	"response_mode", "code_challenge", "code_challenge_method", "request", "request_uri", "prompt", "max_age"}

func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		errorPage(w, http.StatusBadRequest, "invalid_request", "The request could not be read.")
		return
	}
	params, problem := singleParams(r.Form, nil, authorizeParams...)
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
	fail := func(code, description string) { p.redirectError(w, r, to, oauthErr(code, description)) }

	scopes := strings.Fields(params["scope"])
	prompt, maxAge, problem := freshness(params["prompt"], params["max_age"])
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
	case problem == "login_required":
		// Signing in at ID.me always involves the user.
		fail("login_required", "the user must sign in at ID.me")
	case problem != "":
		fail("invalid_request", problem)
	case params["code_challenge"] != "" && params["code_challenge_method"] != "S256":
		// Without a method RFC 7636 means plain, which is not supported.
		fail("invalid_request", "code_challenge_method must be S256")
	case params["code_challenge"] != "" && !pkcePattern.MatchString(params["code_challenge"]):
		fail("invalid_request", "code_challenge is malformed")
	case params["code_challenge_method"] != "" && params["code_challenge"] == "":
		fail("invalid_request", "code_challenge_method without code_challenge")
	default:
		oidc, policies, problem := splitScopes(scopes, client)
		if problem != "" {
			fail("invalid_scope", problem)
			return
		}
		p.startSignIn(w, r, pendingSignIn{
			ClientID: client.ID, RedirectURI: to.RedirectURI, ResponseMode: mode, State: []byte(to.State),
			Nonce: []byte(params["nonce"]), CodeChallenge: params["code_challenge"], Scopes: oidc,
		}, upstream.LoginRequest{Scopes: policies, Prompt: prompt, MaxAge: maxAge})
	}
}

// freshness reads prompt and max_age (OIDC Core 3.1.2.1). prompt=none cannot be met (ID.me
// always involves the user); login and max_age are passed to ID.me and checked against the
// auth_time it reports.
func freshness(prompt, maxAge string) (string, *int, string) {
	values := strings.Fields(prompt)
	out := ""
	for _, v := range values {
		switch v {
		case "none":
			if len(values) > 1 {
				return "", nil, "prompt=none cannot be combined with other values"
			}
			return "", nil, "login_required"
		case "login":
			out = "login"
		default:
			// consent, select_account and extension values (create) need nothing of the
			// bridge: ID.me shows its own consent and account pages.
		}
	}
	if maxAge == "" {
		return out, nil, ""
	}
	n, err := strconv.Atoi(maxAge)
	if err != nil || n < 0 || len(maxAge) > 10 {
		return "", nil, "max_age must be a non-negative number of seconds"
	}
	return out, &n, ""
}

// splitScopes separates the OIDC scopes the bridge answers itself from the ID.me policies,
// which must be ones the client is allowed; with none asked for, the client's defaults apply.
// The refusal never repeats the request's text.
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
			return nil, nil, "a requested scope is not allowed for this application"
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

func (p *Provider) startSignIn(w http.ResponseWriter, r *http.Request, s pendingSignIn, login upstream.LoginRequest) {
	to := s.returnTo()
	sealer, err := p.stateSealer(r.Context())
	if err != nil {
		p.log.Error("state key unavailable", "err", err)
		p.redirectError(w, r, to, oauthErr("temporarily_unavailable", "the bridge is not ready; try again shortly"))
		return
	}
	binding := ""
	if c, err := r.Cookie(bindingCookie); err == nil && len(c.Value) == 43 {
		binding = c.Value // reuse, so sign-ins in several tabs do not undo each other
	} else {
		binding = randomToken()
	}
	s.Binding = digest(binding)
	// The connector's data travels inside the sealed state, and the state inside the login URL.
	data, err := p.upstream.Begin(login)
	if err != nil {
		p.redirectError(w, r, to, oauthErr("server_error", "could not start the sign-in"))
		return
	}
	s.Upstream = data
	s.Policies = strings.Join(login.Scopes, " ") // one policy, the usual case, is not copied
	state, err := sealer.Seal(statePurpose, s, p.cfg.StateTTL)
	if err != nil {
		p.redirectError(w, r, to, oauthErr("server_error", "could not start the sign-in"))
		return
	}
	if len(state) > maxStateBytes {
		p.redirectError(w, r, to, oauthErr("invalid_request", "state and nonce are too long"))
		return
	}
	target, err := p.upstream.LoginURL(data, state)
	if err != nil {
		p.redirectError(w, r, to, oauthErr("server_error", "could not start the sign-in"))
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: bindingCookie, Value: binding, Path: "/", MaxAge: int(p.cfg.StateTTL.Seconds()),
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
	outcome.Log(r.Context(), p.log, outcome.SignInStarted,
		slog.String(outcome.FieldClientID, s.ClientID), slog.String(outcome.FieldPolicies, s.Policies))
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

// stateFingerprint names a sealed state by the bytes it decodes to (never its spelling).
func stateFingerprint(state string) (string, error) { return seal.Fingerprint(state) }
