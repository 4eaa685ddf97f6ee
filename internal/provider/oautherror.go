package provider

import (
	"encoding/json"
	"net/http"
	"strings"
)

// oauthError is the one OAuth error of every endpoint (RFC 6749 sections 4.1.2.1 and 5.2,
// RFC 6750 section 3, OIDC Core 3.1.2.6). Where it goes depends on what is known: to the
// relying party's redirect URI once that is validated, as JSON from the token endpoint, in a
// WWW-Authenticate challenge from userinfo, or as a page when nowhere safe is known.
type oauthError struct {
	Code        string
	Description string
	Status      int    // HTTP status for JSON and pages; a redirect is always 302 or a form_post 200
	Challenge   string // "Basic" or "Bearer": answer with WWW-Authenticate
	// bareChallenge leaves the error out of a Bearer challenge (RFC 6750 section 3.1: a
	// request that carried no token at all).
	bareChallenge bool
}

func (e *oauthError) Error() string { return e.Code + ": " + e.Description }

// oauthErr builds an error with the status its code normally carries.
func oauthErr(code, description string) *oauthError {
	status := http.StatusBadRequest
	switch code {
	case "invalid_client", "invalid_token":
		status = http.StatusUnauthorized
	case "temporarily_unavailable":
		status = http.StatusServiceUnavailable
	case "server_error":
		status = http.StatusInternalServerError
	}
	return &oauthError{Code: code, Description: description, Status: status}
}

// maxDescription bounds error_description: it is for a developer, not a channel for data.
const maxDescription = 200

// safeDescription keeps only the characters RFC 6749 allows in error_description
// (%x20-21 / %x23-5B / %x5D-7E: printable ASCII without '"' and '\') and bounds the length,
// so nothing a request or an upstream sent can be smuggled into a header, a URL or a page.
func safeDescription(s string) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < maxDescription; i++ {
		c := s[i]
		if c >= 0x20 && c <= 0x7e && c != '"' && c != '\\' {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// safeCode is the error code restricted the same way (RFC 6749: %x20-21 / %x23-5B / %x5D-7E,
// and in practice lower-case and '_'); anything else becomes server_error.
func safeCode(code string) string {
	if code == "" || len(code) > 64 {
		return "server_error"
	}
	for i := 0; i < len(code); i++ {
		if c := code[i]; (c < 'a' || c > 'z') && c != '_' {
			return "server_error"
		}
	}
	return code
}

// fields are the error's parameters as a relying party receives them.
func (e *oauthError) fields() map[string]string {
	f := map[string]string{"error": safeCode(e.Code)}
	if d := safeDescription(e.Description); d != "" {
		f["error_description"] = d
	}
	return f
}

// writeJSON answers with the error as a JSON body, plus a challenge when one is set.
func (e *oauthError) writeJSON(w http.ResponseWriter) {
	f := e.fields()
	switch e.Challenge {
	case "Basic":
		w.Header().Set("WWW-Authenticate", `Basic realm="idme-bridge"`)
	case "Bearer":
		// RFC 6750 section 3: no error attribute when the request simply had no token.
		h := `Bearer realm="idme-bridge"`
		if !e.bareChallenge {
			h += `, error="` + f["error"] + `"`
			if d := f["error_description"]; d != "" {
				h += `, error_description="` + d + `"`
			}
		}
		w.Header().Set("WWW-Authenticate", h)
	}
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	writeJSON(w, status, f)
}

// writePage answers with an error page: for failures where the bridge must not redirect
// (unknown client, unregistered redirect URI, a state it cannot authenticate).
func (e *oauthError) writePage(w http.ResponseWriter) {
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	writePage(w, status, pageData{Title: "Sign-in could not continue", Message: e.Description, Code: safeCode(e.Code)})
}

// redirectError sends the error to the relying party's validated redirect URI.
func (p *Provider) redirectError(w http.ResponseWriter, r *http.Request, to returnTo, e *oauthError) {
	p.log.Info("sign-in refused, relying party told", "oauth_code", safeCode(e.Code), "description", safeDescription(e.Description))
	p.redirect(w, r, to, e.fields())
}

// writeJSON writes a JSON answer that must not be cached (tokens, userinfo, errors).
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"error":"server_error"}`)
	}
	writeJSONBytes(w, status, body)
}

func writeJSONBytes(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_, _ = w.Write(body)
	_, _ = w.Write([]byte{'\n'})
}
