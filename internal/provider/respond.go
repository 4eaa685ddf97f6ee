package provider

import (
	"net/http"
	"net/url"
)

// returnTo is where and how a result goes back to the relying party; it is only built from a
// validated client and redirect URI.
type returnTo struct {
	RedirectURI  string
	ResponseMode string // query or form_post
	State        string // the relying party's state, byte for byte
}

// redirect sends params (plus state and iss) to the relying party's redirect URI.
func (p *Provider) redirect(w http.ResponseWriter, r *http.Request, to returnTo, params map[string]string) {
	params["iss"] = p.cfg.Issuer
	if to.State != "" {
		params["state"] = to.State
	}
	if to.ResponseMode == "form_post" {
		writePage(w, http.StatusOK, pageData{
			Title:      "Returning to sign-in",
			Message:    "Continue to finish signing in.",
			Action:     to.RedirectURI,
			Fields:     params,
			AutoSubmit: true,
		})
		return
	}
	u, err := url.Parse(to.RedirectURI)
	if err != nil { // registered URIs were checked at start; this is defensive
		errorPage(w, http.StatusInternalServerError, "server_error", "The registered redirect URI is not a URL.")
		return
	}
	q := u.Query()
	for k, v := range params {
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// singleParams reads each named parameter, refusing repeats and oversized values (RFC 6749
// section 3.1: parameters must not be included more than once).
func singleParams(values url.Values, limits map[string]int, names ...string) (map[string]string, string) {
	out := make(map[string]string, len(names))
	for _, n := range names {
		vs := values[n]
		limit := maxParamBytes
		if l, ok := limits[n]; ok {
			limit = l
		}
		switch {
		case len(vs) > 1:
			return nil, "parameter " + n + " is repeated"
		case len(vs) == 1 && len(vs[0]) > limit:
			return nil, "parameter " + n + " is too long"
		case len(vs) == 1:
			out[n] = vs[0] // opaque values (state, secrets) are used exactly as sent
		}
	}
	return out, ""
}

// addQuery adds one parameter to a URL that was validated when it was registered.
func addQuery(raw, key, value string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}
