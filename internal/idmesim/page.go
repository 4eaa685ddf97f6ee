package idmesim

import (
	"net/http"

	"idmebridge/internal/htmlpage"
)

const pageTemplates = `{{define "picker"}}{{template "head" "Choose a persona"}}
<h1>Choose a persona</h1>
<p class="note">This is a local ID.me simulator for development and tests. Nobody is verified here:
the persona you pick decides what the application is told.</p>
<p>Application <code>{{.ClientID}}</code> asks for <code>{{.Scope}}</code>.{{if .Needs}}
ID.me lets a user through only after {{.Needs}}: personas marked <em>not verified</em> are stopped
and can only decline, as on ID.me.{{end}}</p>
<ul class="links">{{range .Personas}}
<li><a href="{{.Href}}">{{.Label}} <small>({{.ID}}){{if .Blocked}} · not verified{{end}}</small></a></li>{{end}}
</ul>
{{template "end"}}{{end}}

{{define "verify"}}{{template "head" "Verification needed"}}
<h1>Verification needed</h1>
<p class="note">This is a local ID.me simulator. It stops here, as ID.me does: users cannot
complete the sign-in unless they have satisfied the requirements of the policy.</p>
<p>Application <code>{{.ClientID}}</code> requires {{.Needs}}{{if .Several}} (any one of them){{end}}.
<strong>{{.Persona}}</strong> is not verified for it.</p>
<p>On ID.me the user would verify now. Users who are unable to successfully verify can call
ID.me's customer support hotline; they cannot continue to the application unverified.</p>
<ul class="buttons"><li><a class="button" href="{{.DeclineHref}}">Decline and return to the application</a></li></ul>
<p><small>The application receives <code>error=access_denied</code>.</small></p>
{{template "end"}}{{end}}

{{define "error"}}{{template "head" "Error"}}
<h1>Request refused</h1>
<p class="note">This is a local ID.me simulator.</p>
<p>{{.}}</p>
{{template "end"}}{{end}}`

// pickerLink is one persona on the picker page.
type pickerLink struct {
	ID, Label, Href string
	// Blocked marks a persona who does not satisfy the requested policy.
	Blocked bool
}

type pickerPage struct {
	ClientID, Scope string
	Needs           string // the requirement in words; "" when the request needs no verification
	Personas        []pickerLink
}

// verifyPage is ID.me's verification step for someone who has not satisfied the policy.
type verifyPage struct {
	ClientID, Persona, Needs string
	Several                  bool
	DeclineHref              string
}

// renderPage writes an HTML page with headers that keep it out of caches and frames.
func (s *Simulator) renderPage(w http.ResponseWriter, status int, name string, data any) {
	htmlpage.Render(w, s.log, s.pages, s.pageCSP, status, name, data)
}

// errorPage answers a request that must not be redirected (unknown client or redirect URI).
func (s *Simulator) errorPage(w http.ResponseWriter, status int, message string) {
	s.renderPage(w, status, "error", message)
}

// rootPage is what the simulator's bare URL shows: where its endpoints are.
func (s *Simulator) rootPage(extra []htmlpage.Link) http.Handler {
	return htmlpage.LinksPage{
		Title: "ID.me simulator",
		Intro: "A local stand-in for ID.me with made-up personas, for development and tests. " +
			"Give a bridge IDME_BASE_URL=" + s.base + ".",
		Links: append([]htmlpage.Link{
			{Label: "Discovery document", Href: s.issuer + "/.well-known/openid-configuration", Note: "under /oidc, as on ID.me"},
			{Label: "Signing keys (JWKS)", Href: s.issuer + "/.well-known/jwks"},
		}, extra...),
	}.Handler("ID.me simulator", s.log)
}
