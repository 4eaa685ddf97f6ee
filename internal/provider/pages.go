package provider

import (
	"crypto/rand"
	"encoding/base64"
	"html/template"
	"net/http"

	"idmebridge/internal/htmlpage"
)

// pageTemplates are the only HTML the bridge serves: an error page, a signed-out page and the
// form_post page that carries the result back to the relying party.
var pageTemplates = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style nonce="{{.Nonce}}">` + htmlpage.Style + `</style>
</head><body>
{{if .Action}}<form method="post" action="{{.Action}}">
{{range $k, $v := .Fields}}<input type="hidden" name="{{$k}}" value="{{$v}}">
{{end}}<h1>{{.Title}}</h1><p>{{.Message}}</p><noscript><button type="submit">Continue</button></noscript></form>
<script nonce="{{.Nonce}}">document.forms[0].submit()</script>
{{else}}<h1>{{.Title}}</h1><p>{{.Message}}</p>{{if .Code}}<p>Error code: <code>{{.Code}}</code></p>{{end}}{{end}}
</body></html>`))

type pageData struct {
	Title, Message, Code string
	Action               string            // form_post target
	Fields               map[string]string // form_post fields
	Nonce                string
}

// writePage renders a page with a strict Content-Security-Policy: nothing loads, nothing frames
// it, and the only script is the form_post auto-submit.
func writePage(w http.ResponseWriter, status int, d pageData) {
	d.Nonce = cspNonce()
	// Browsers apply form-action to the redirects that follow a form's POST too, so the
	// form_post page leaves it out: the relying party may redirect anywhere after it. Pages
	// without a form allow none.
	formAction := "; form-action 'none'"
	if d.Action != "" {
		formAction = ""
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'nonce-"+d.Nonce+"'; script-src 'nonce-"+d.Nonce+
		"'"+formAction+"; frame-ancestors 'none'; base-uri 'none'")
	w.WriteHeader(status)
	_ = pageTemplates.Execute(w, d)
}

func cspNonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawStdEncoding.EncodeToString(b)
}

// errorPage is for failures where the bridge must not redirect: unknown client, unregistered
// redirect URI, a state it cannot authenticate.
func errorPage(w http.ResponseWriter, status int, code, message string) {
	writePage(w, status, pageData{Title: "Sign-in could not continue", Message: message, Code: code})
}
