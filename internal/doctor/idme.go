package doctor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"

	"idmebridge/internal/config"
	"idmebridge/internal/idme"
	"idmebridge/internal/provider"
)

// ID.me's client ids are 32 lowercase hexadecimal characters (as every published example and
// sample integration shows).
var idmeClientIDShape = regexp.MustCompile(`^[0-9a-f]{32}$`)

// checkIDmeClientID checks IDME_CLIENT_ID's shape. A simulator or proxy (IDME_BASE_URL) may use
// any id, so the check applies to ID.me's own hosts only.
func checkIDmeClientID(cfg *config.Config) Finding {
	f := Finding{Check: "idme.client_id", Subject: "IDME_CLIENT_ID"}
	switch {
	case cfg.IDme.BaseURL != "":
		f.Status, f.Detail = Skip, "IDME_BASE_URL points at "+cfg.IDme.BaseURL+", which may use any client id"
	case idmeClientIDShape.MatchString(cfg.IDme.ClientID):
		f.Status, f.Detail = Pass, "has the shape of an ID.me client id (32 hexadecimal characters)"
	default:
		f.Status = Fail
		f.Detail = fmt.Sprintf("%q is not an ID.me client id: those are 32 lowercase hexadecimal characters", clip(cfg.IDme.ClientID, 40))
		f.Fix = "copy the Client ID of your application from ID.me's developer portal (" + cfg.IDme.Environment + ") into IDME_CLIENT_ID"
	}
	return f
}

// checkIDme checks the environment's discovery document, then asks ID.me's authorize endpoint,
// once per ID.me policy the clients may use, whether it accepts the client id, the registered
// callback and the policy.
func checkIDme(ctx context.Context, cfg *config.Config, o Options) []Finding {
	env, err := idme.EnvironmentFor(cfg.IDme.Environment, cfg.IDme.BaseURL)
	if err != nil {
		return []Finding{{Check: "idme.discovery", Status: Fail, Detail: err.Error(), Fix: "set IDME_ENVIRONMENT to production or sandbox"}}
	}
	client := noRedirects(o.HTTPClient, o)
	discoveryURL := env.Issuer + "/.well-known/openid-configuration"
	cctx, cancel := withTimeout(ctx, o)
	defer cancel()
	// go-oidc fetches the document and refuses an issuer other than the one asked for.
	_, err = oidc.NewProvider(oidc.ClientContext(cctx, client), env.Issuer)
	discovery := Finding{Check: "idme.discovery", Subject: discoveryURL}
	switch {
	case err == nil:
		discovery.Status, discovery.Detail = Pass, "reachable; its issuer is "+env.Issuer
	case strings.Contains(err.Error(), "did not match the issuer"):
		discovery.Status, discovery.Detail = Fail, err.Error()
		discovery.Fix = "IDME_BASE_URL must be the host whose issuer is {host}/oidc; unset it to use ID.me's " + cfg.IDme.Environment + " host"
	default:
		discovery.Status, discovery.Detail = Fail, "not reachable: "+err.Error()
		discovery.Fix = "check IDME_ENVIRONMENT / IDME_BASE_URL and that the bridge can reach " + env.BaseURL + " (outbound network, proxy)"
	}
	findings := []Finding{discovery}
	if discovery.Status != Pass {
		return append(findings, Finding{Check: "idme.authorize", Status: Skip, Detail: "ID.me is not reachable"})
	}
	for _, scope := range probeScopes(cfg) {
		findings = append(findings, probeAuthorize(ctx, cfg, env, client, scope, o))
	}
	return append(findings, probeLogout(ctx, cfg, env, client, o))
}

// probeLogout asks ID.me's logout endpoint whether it accepts the bridge's logout callback (the
// second redirect URI to register). Without ID.me's session cookie it ends no session.
func probeLogout(ctx context.Context, cfg *config.Config, env idme.Environment, client *http.Client, o Options) Finding {
	callback := cfg.Issuer + provider.PathLogoutCallback
	f := Finding{Check: "idme.logout", Subject: callback}
	q := url.Values{"client_id": {cfg.IDme.ClientID}, "redirect_uri": {callback}}
	resp, body, err := getPage(ctx, client, o, env.BaseURL+"/oauth/logout?"+q.Encode())
	if err != nil {
		f.Status, f.Detail, f.Fix = Fail, "logout request failed: "+err.Error(), "check that the bridge can reach "+env.BaseURL
		return f
	}
	if code, _ := authorizeError(resp, body); code != "" {
		f.Status, f.Detail = Fail, "ID.me answered "+code
		f.Fix = fmt.Sprintf("register exactly %s as a second redirect URI of your ID.me application, so sign-out returns to the bridge", callback)
		return f
	}
	f.Status, f.Detail = Pass, "ID.me accepts the logout callback"
	return f
}

// probeScopes are the ID.me policies to probe: each one some client may ask for, at most ten.
func probeScopes(cfg *config.Config) []string {
	var scopes []string
	for _, c := range cfg.Clients {
		for _, s := range c.IDmeScopes {
			if !slices.Contains(scopes, s) && len(scopes) < 10 {
				scopes = append(scopes, s)
			}
		}
	}
	return scopes
}

// probeAuthorize sends one authorize request as the bridge would, without state, nonce or
// PKCE, and does not follow where ID.me sends it: nothing can come of it that the bridge would
// accept (its callback refuses a response without its sealed state). ID.me answers a bad
// client id, callback or policy with error parameters (on a redirect to the callback, or on its
// own page); a good request gets its sign-in page.
func probeAuthorize(ctx context.Context, cfg *config.Config, env idme.Environment, client *http.Client, scope string, o Options) Finding {
	callback := provider.CallbackURL(cfg.Issuer)
	f := Finding{Check: "idme.authorize", Subject: "scope " + scope}
	q := url.Values{"client_id": {cfg.IDme.ClientID}, "redirect_uri": {callback}, "response_type": {"code"}, "scope": {"openid " + scope}}
	resp, body, err := getPage(ctx, client, o, env.BaseURL+"/oauth/authorize?"+q.Encode())
	if err != nil {
		f.Status, f.Detail, f.Fix = Fail, "authorize request failed: "+err.Error(), "check that the bridge can reach "+env.BaseURL
		return f
	}
	code, description := authorizeError(resp, body)
	if code == "" {
		f.Status = Pass
		f.Detail = fmt.Sprintf("ID.me accepts client %s with callback %s and policy %s", cfg.IDme.ClientID, callback, scope)
		return f
	}
	f.Status = Fail
	f.Detail = fmt.Sprintf("ID.me answered %s", code)
	if description != "" {
		f.Detail += ": " + clip(description, 200)
	}
	switch code {
	case "invalid_redirect_uri":
		f.Fix = fmt.Sprintf("register exactly %s as a redirect URI of your ID.me application (%s), with no query or trailing slash; or correct BRIDGE_ISSUER", callback, cfg.IDme.Environment)
	case "invalid_client":
		f.Fix = fmt.Sprintf("IDME_CLIENT_ID is not an application in ID.me's %s environment: copy the Client ID from the developer portal, and check IDME_ENVIRONMENT (sandbox ids do not work in production)", cfg.IDme.Environment)
	case "invalid_scope":
		f.Fix = fmt.Sprintf("your ID.me application has no policy %q: ask ID.me to enable it, or remove it from the clients' idme_scopes", scope)
	default:
		f.Fix = "see ID.me's error codes; the probe sent client_id, redirect_uri, response_type=code and scope only"
	}
	return f
}

// getPage sends one GET within the probe timeout and reads at most 256 KiB of the answer, which
// is closed on return: the probes look at the status, the Location and the page, nothing more.
func getPage(ctx context.Context, client *http.Client, o Options, u string) (*http.Response, []byte, error) {
	cctx, cancel := withTimeout(ctx, o)
	defer cancel()
	req, err := http.NewRequestWithContext(cctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("build the request: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256<<10))
	if err != nil {
		return nil, nil, fmt.Errorf("read the answer: %w", err)
	}
	return resp, body, nil
}

// authorizeError finds ID.me's error in its answer: error parameters on a redirect (or on a
// page, as ID.me answers with HTTP 200), or an error page of its own.
func authorizeError(resp *http.Response, body []byte) (code, description string) {
	if loc, err := resp.Location(); err == nil {
		if e := loc.Query().Get("error"); e != "" {
			return e, loc.Query().Get("error_description")
		}
		return "", ""
	}
	text := string(body)
	for _, c := range []string{"invalid_redirect_uri", "invalid_client", "invalid_scope", "invalid_request", "unsupported_response_type"} {
		if strings.Contains(text, c) {
			return c, ""
		}
	}
	if resp.StatusCode >= 400 {
		// An error page without a code: name it by what it speaks of.
		lower := strings.ToLower(text)
		switch {
		case strings.Contains(lower, "redirect_uri") || strings.Contains(lower, "redirect uri"):
			return "invalid_redirect_uri", fmt.Sprintf("HTTP %d page about the redirect URI", resp.StatusCode)
		case strings.Contains(lower, "client"):
			return "invalid_client", fmt.Sprintf("HTTP %d page about the client", resp.StatusCode)
		}
		return fmt.Sprintf("HTTP %d", resp.StatusCode), ""
	}
	return "", ""
}

// noRedirects returns a client that never follows a redirect and gives up after the timeout.
func noRedirects(base *http.Client, o Options) *http.Client {
	c := &http.Client{}
	if base != nil {
		*c = *base
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if c.Timeout == 0 || c.Timeout > o.Timeout {
		c.Timeout = o.Timeout
	}
	return c
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// checkIDmeSecret presents the ID.me client secret to ID.me's token endpoint with a code that
// was never issued. ID.me's error codes (invalid_redirect_uri, invalid_resource_owner) are those
// of Doorkeeper, which authenticates the client before it looks at the grant, so invalid_grant
// means the secret is accepted and invalid_client that it is not; any other answer is reported
// as inconclusive. No user's code is involved, and nothing is retried.
func checkIDmeSecret(ctx context.Context, cfg *config.Config, sv secretValues, o Options) Finding {
	f := Finding{Check: "idme.client_secret", Subject: cfg.IDme.ClientSecret}
	secret, ok := sv.values[cfg.IDme.ClientSecret]
	if !ok {
		f.Status, f.Detail = Skip, "no ID.me client secret to check"
		return f
	}
	env, err := idme.EnvironmentFor(cfg.IDme.Environment, cfg.IDme.BaseURL)
	if err != nil {
		f.Status, f.Detail = Skip, err.Error()
		return f
	}
	probe := make([]byte, 16)
	_, _ = rand.Read(probe)
	form := url.Values{"grant_type": {"authorization_code"}, "code": {"doctor-probe-" + hex.EncodeToString(probe)},
		"redirect_uri": {provider.CallbackURL(cfg.Issuer)}, "client_id": {cfg.IDme.ClientID}, "client_secret": {secret}, "scope": {"openid"}}
	cctx, cancel := withTimeout(ctx, o)
	defer cancel()
	req, err := http.NewRequestWithContext(cctx, http.MethodPost, env.BaseURL+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		f.Status, f.Detail = Fail, err.Error()
		return f
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := noRedirects(o.HTTPClient, o).Do(req)
	if err != nil {
		f.Status, f.Detail, f.Fix = Fail, "token request failed: "+firstLine(err), "check that the bridge can reach "+env.BaseURL
		return f
	}
	defer resp.Body.Close()
	var answer struct {
		Error string `json:"error"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&answer)
	switch answer.Error {
	case "invalid_grant":
		f.Status, f.Detail = Pass, "ID.me accepts the client secret (it refused only the probe's made-up code)"
	case "invalid_client":
		f.Status, f.Detail = Fail, "ID.me refuses the client secret (invalid_client)"
		f.Fix = "copy the Client Secret of application " + cfg.IDme.ClientID + " from ID.me's developer portal into secret " + cfg.IDme.ClientSecret + " (sandbox and production secrets differ)"
	default:
		f.Status = Skip
		f.Detail = fmt.Sprintf("ID.me answered HTTP %d %q to the probe: cannot tell whether the secret is right", resp.StatusCode, answer.Error)
	}
	return f
}
