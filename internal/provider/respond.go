package provider

import (
	"encoding/json"
	"net/http"
	"net/url"
)

// returnTo is where and how a result goes back to the relying party; it is only built from a
// validated client and redirect URI.
type returnTo struct {
	RedirectURI  string
	ResponseMode string // query or form_post
	State        string
}

// redirect sends params (plus state and iss) to the relying party's redirect URI.
func (p *Provider) redirect(w http.ResponseWriter, r *http.Request, to returnTo, params map[string]string) {
	params["iss"] = p.cfg.Issuer
	if to.State != "" {
		params["state"] = to.State
	}
	if to.ResponseMode == "form_post" {
		writePage(w, http.StatusOK, pageData{
			Title:   "Returning to sign-in",
			Message: "Continue to finish signing in.",
			Action:  to.RedirectURI,
			Fields:  params,
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

// redirectError reports an OAuth error to the relying party (RFC 6749 section 4.1.2.1).
func (p *Provider) redirectError(w http.ResponseWriter, r *http.Request, to returnTo, code, description string) {
	p.log.Info("sign-in refused, relying party told", "oauth_code", code, "description", description)
	p.redirect(w, r, to, map[string]string{"error": code, "error_description": description})
}

// writeJSON writes a JSON answer that must not be cached (tokens, userinfo, errors).
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeJSONError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": description})
}

// singleParams reads each named parameter, refusing repeats and oversized values (RFC 6749
// section 3.1: parameters must not be included more than once).
func singleParams(values url.Values, names ...string) (map[string]string, string) {
	out := make(map[string]string, len(names))
	for _, n := range names {
		vs := values[n]
		switch {
		case len(vs) > 1:
			return nil, "parameter " + n + " is repeated"
		case len(vs) == 1 && len(vs[0]) > paramLimit(n):
			return nil, "parameter " + n + " is too long"
		case len(vs) == 1:
			out[n] = vs[0] // opaque values (state, secrets) are used exactly as sent
		}
	}
	return out, ""
}

// paramLimit is the longest value accepted for a parameter: id_token_hint carries a whole
// id_token, everything else is short.
func paramLimit(name string) int {
	if name == "id_token_hint" {
		return maxQueryBytes
	}
	return maxParamBytes
}

// errorCode passes on an upstream error code only when it has the shape RFC 6749 allows,
// so arbitrary text from a URL is never echoed.
func errorCode(code string) string {
	if len(code) == 0 || len(code) > 64 {
		return "other"
	}
	for _, c := range code {
		if (c < 'a' || c > 'z') && c != '_' {
			return "other"
		}
	}
	return code
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
