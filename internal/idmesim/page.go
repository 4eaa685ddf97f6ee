package idmesim

import (
	"fmt"
	"html/template"
	"net/http"

	"idmebridge/internal/htmlpage"
)

// pageStyle is the only styling; its hash goes into the CSP so no inline style is trusted
// by default.
const pageStyle = `body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}` +
	`.note{background:#fff7d6;border:1px solid #e0c96a;padding:.6rem .8rem;border-radius:4px}` +
	`ul{list-style:none;padding:0}li{margin:.4rem 0}` +
	`a{display:block;padding:.6rem .8rem;border:1px solid #c9c9c9;border-radius:4px;text-decoration:none;color:#0b4f8a}` +
	`a:hover{background:#eef5fb}code{font-size:.9em}small{color:#555}`

const pageTemplates = `{{define "head"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.}} · ID.me simulator</title><style>` + pageStyle + `</style></head><body>{{end}}

{{define "picker"}}{{template "head" "Choose a persona"}}
<h1>Choose a persona</h1>
<p class="note">This is a local ID.me simulator for development and tests. Nobody is verified here:
the persona you pick decides what the application is told.</p>
<p>Application <code>{{.ClientID}}</code> asks for <code>{{.Scope}}</code>.</p>
<ul>{{range .Personas}}
<li><a href="{{.Href}}">{{.Label}} <small>({{.ID}})</small></a></li>{{end}}
</ul>
</body></html>{{end}}

{{define "error"}}{{template "head" "Error"}}
<h1>Request refused</h1>
<p class="note">This is a local ID.me simulator.</p>
<p>{{.}}</p>
</body></html>{{end}}`

func parsePages() (*template.Template, error) {
	t, err := template.New("pages").Parse(pageTemplates)
	if err != nil {
		return nil, fmt.Errorf("idmesim: parse pages: %w", err)
	}
	return t, nil
}

// pickerLink is one persona on the picker page.
type pickerLink struct {
	ID, Label, Href string
}

type pickerPage struct {
	ClientID, Scope string
	Personas        []pickerLink
}

// renderPage writes an HTML page with headers that keep it out of caches and frames.
func (s *Simulator) renderPage(w http.ResponseWriter, status int, name string, data any) {
	htmlpage.Render(w, s.log, s.pages, s.pageCSP, status, name, data)
}

// errorPage answers a request that must not be redirected (unknown client or redirect URI).
func (s *Simulator) errorPage(w http.ResponseWriter, status int, message string) {
	s.renderPage(w, status, "error", message)
}
