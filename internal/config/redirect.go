package config

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// Shapes of the redirect URIs that B2C and Entra External ID send. The bridge matches a
// request's redirect_uri exactly against the registered ones, so a registered URI that B2C
// never sends (other case, a query, a trailing slash) only shows up as failed sign-ins: these
// checks catch it at start-up instead.
var (
	// B2C: /{tenant}.onmicrosoft.com/oauth2/authresp, /{tenant-guid}/oauth2/authresp, optionally
	// with the policy between (/{tenant}/{policy}/oauth2/authresp).
	b2cPath = regexp.MustCompile(`^/([^/]+)((?i:/b2c_1a?_[^/]+))?/oauth2/authresp$`)
	// External ID: /{tenant-id}/federation/oauth2 or /{tenant}.onmicrosoft.com/federation/oauth2
	// (or a custom domain) on {tenant}.ciamlogin.com.
	ciamPath = regexp.MustCompile(`^/([^/]+)/federation/oauth2$`)
	// tenant segments: a GUID, {name}.onmicrosoft.com, or a custom domain, all lowercase.
	tenantSegment = regexp.MustCompile(`^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+)$`)
)

const redirectShapes = "B2C sends https://{tenant}.b2clogin.com/{tenant}.onmicrosoft.com/oauth2/authresp " +
	"(or its tenant GUID, or your custom domain, in place of the host or tenant), External ID " +
	"https://{tenant}.ciamlogin.com/{tenant-id or tenant.onmicrosoft.com}/federation/oauth2"

// checkRedirectURI checks a client's redirect URI: an absolute https URL in one of the shapes
// B2C and External ID send, exactly as they send it; http (or any path) only on loopback, for
// local demo clients.
func checkRedirectURI(raw string) error {
	u, err := checkAbsolute("redirect URI", raw)
	if err != nil {
		return err
	}
	if IsLoopbackHost(u.Hostname()) {
		return nil
	}
	if host := u.Host; host != strings.ToLower(host) {
		return fmt.Errorf("redirect URI %q: B2C sends the host in lowercase; register %q", raw, strings.Replace(raw, host, strings.ToLower(host), 1))
	}
	if u.RawQuery != "" || u.ForceQuery {
		return fmt.Errorf("redirect URI %q must not have a query: remove everything from '?'", raw)
	}
	if strings.HasSuffix(u.Path, "/") {
		return fmt.Errorf("redirect URI %q must not end with '/': B2C sends .../oauth2/authresp and External ID .../federation/oauth2", raw)
	}
	m := b2cPath.FindStringSubmatch(u.EscapedPath())
	if m == nil {
		m = ciamPath.FindStringSubmatch(u.EscapedPath())
	}
	if m == nil {
		if lower := strings.ToLower(u.EscapedPath()); b2cPath.MatchString(lower) || ciamPath.MatchString(lower) {
			return fmt.Errorf("redirect URI %q: B2C sends the path in lowercase; register %q", raw, strings.Replace(raw, u.EscapedPath(), lower, 1))
		}
		return fmt.Errorf("redirect URI %q is not a B2C or External ID redirect URI: %s", raw, redirectShapes)
	}
	if tenant := m[1]; !tenantSegment.MatchString(tenant) {
		if lower := strings.ToLower(tenant); tenantSegment.MatchString(lower) {
			return fmt.Errorf("redirect URI %q: B2C sends the tenant in lowercase; register %q", raw, strings.Replace(raw, tenant, lower, 1))
		}
		return fmt.Errorf("redirect URI %q: %q is not a tenant (a GUID, {tenant}.onmicrosoft.com or a domain): %s", raw, tenant, redirectShapes)
	}
	return nil
}

// checkPostLogoutURI checks where /logout may send the browser: an absolute https URL (http only
// on loopback) without a fragment.
func checkPostLogoutURI(raw string) error {
	_, err := checkAbsolute("post-logout redirect URI", raw)
	return err
}

func checkAbsolute(what, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return nil, fmt.Errorf("%s %q is not an absolute URL", what, raw)
	}
	if u.Fragment != "" || u.RawFragment != "" || strings.Contains(raw, "#") {
		return nil, fmt.Errorf("%s %q must not have a fragment: remove everything from '#'", what, raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%s %q must not carry a user name or password", what, u.Redacted())
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && IsLoopbackHost(u.Hostname())) {
		return nil, fmt.Errorf("%s %q must use https (http only on localhost)", what, raw)
	}
	return u, nil
}
