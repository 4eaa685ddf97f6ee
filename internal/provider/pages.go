package provider

import (
	"crypto/rand"
	"encoding/base64"
	"html"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"idmebridge/internal/htmlpage"
)

// The bridge serves only a few small pages: an error page, a signed-out page, the sign-out
// confirmation and the form_post page that carries the result back to the relying party. They
// are written from fixed pieces with every variable part HTML-escaped, which is all a template
// would do here, at a fraction of the cost on the sign-in path.
const (
	pageHead = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>`
	pageStyleOpen = `</title>
<style nonce="`
	pageStyleClose = `">` + htmlpage.Style + `</style>
</head><body>
`
	pageTail = "</body></html>\n"
)

type pageData struct {
	Title, Message, Code string
	Action               string            // a form's target
	Fields               map[string]string // the form's hidden fields
	AutoSubmit           bool              // form_post: submit without the user (a button without script)
	Button               string            // the button's label
}

// writePage renders a page with a strict Content-Security-Policy: nothing loads, nothing frames
// it, and the only script is the form_post auto-submit.
func writePage(w http.ResponseWriter, status int, d pageData) {
	nonce := cspNonce()
	// Browsers apply form-action to the redirects that follow a form's POST too, so a page with
	// a form leaves it out: the relying party may redirect anywhere after it. Pages without a
	// form allow none.
	formAction := "; form-action 'none'"
	if d.Action != "" {
		formAction = ""
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'nonce-"+nonce+"'; script-src 'nonce-"+nonce+
		"'"+formAction+"; frame-ancestors 'none'; base-uri 'none'")
	// Sized once for the page (its style is most of it), so the builder does not grow by copies.
	size := len(pageHead) + len(pageStyleOpen) + len(nonce) + len(pageStyleClose) + len(pageTail) +
		2*len(d.Title) + len(d.Message) + len(d.Code) + len(d.Action) + len(d.Button) + 512
	for k, v := range d.Fields {
		size += len(k) + len(v) + 48
	}
	var b strings.Builder
	b.Grow(size)
	b.WriteString(pageHead)
	b.WriteString(html.EscapeString(d.Title))
	b.WriteString(pageStyleOpen)
	b.WriteString(nonce)
	b.WriteString(pageStyleClose)
	if d.Action != "" {
		b.WriteString(`<form method="post" action="`)
		b.WriteString(html.EscapeString(d.Action))
		b.WriteString("\">\n")
		names := make([]string, 0, len(d.Fields))
		for k := range d.Fields {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			b.WriteString(`<input type="hidden" name="`)
			b.WriteString(html.EscapeString(k))
			b.WriteString(`" value="`)
			b.WriteString(html.EscapeString(d.Fields[k]))
			b.WriteString("\">\n")
		}
	}
	b.WriteString("<h1>")
	b.WriteString(html.EscapeString(d.Title))
	b.WriteString("</h1><p>")
	b.WriteString(html.EscapeString(d.Message))
	b.WriteString("</p>")
	if d.Code != "" {
		b.WriteString("<p>Error code: <code>")
		b.WriteString(html.EscapeString(d.Code))
		b.WriteString("</code></p>")
	}
	if d.Action != "" {
		label := d.Button
		if label == "" {
			label = "Continue"
		}
		if d.AutoSubmit {
			b.WriteString("<noscript>")
		}
		b.WriteString(`<button type="submit">`)
		b.WriteString(html.EscapeString(label))
		b.WriteString("</button>")
		if d.AutoSubmit {
			b.WriteString("</noscript>")
		}
		b.WriteString("</form>\n")
		if d.AutoSubmit {
			b.WriteString(`<script nonce="`)
			b.WriteString(nonce)
			b.WriteString(`">document.forms[0].submit()</script>`)
		}
	}
	b.WriteString("\n")
	b.WriteString(pageTail)
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(status)
	_, _ = io.WriteString(w, b.String()) // net/http's writer takes the string without a copy
}

func cspNonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawStdEncoding.EncodeToString(b)
}

// errorPage is for failures where the bridge must not redirect.
func errorPage(w http.ResponseWriter, status int, code, message string) {
	(&oauthError{Code: code, Description: message, Status: status}).writePage(w)
}
