package demorp

import (
	"fmt"
	"html/template"
	"net/http"

	"idmebridge/internal/htmlpage"
)

// pageStyle is the only styling. Its hash goes into the CSP, so nothing else inline runs or applies.
const pageStyle = `body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b;line-height:1.45}` +
	`h1{font-size:1.5rem}h2{font-size:1.1rem;margin-top:1.8rem}` +
	`.note{background:#fff7d6;border:1px solid #e0c96a;padding:.6rem .8rem;border-radius:4px}` +
	`.bad{background:#fdecea;border:1px solid #e3a39c;padding:.6rem .8rem;border-radius:4px}` +
	`.good{color:#1d6b2f}.warn{color:#9a3412}` +
	`ul.buttons{list-style:none;padding:0}ul.buttons li{margin:.5rem 0}` +
	`a.button{display:inline-block;padding:.55rem .9rem;border-radius:4px;background:#0b4f8a;color:#fff;text-decoration:none}` +
	`a.button:hover{background:#093e6c}` +
	`table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:.35rem .6rem;border-bottom:1px solid #e2e2e2}` +
	`th{width:14rem;font-weight:600}td{word-break:break-word}` +
	`pre{background:#f5f5f5;border:1px solid #e2e2e2;border-radius:4px;padding:.8rem;overflow:auto}` +
	`code,pre{font-size:.9em}small{color:#555}`

const pageTemplates = `{{define "head"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{.}} · demo relying party</title><style>` + pageStyle + `</style></head><body>{{end}}

{{define "foot"}}<p><a href="{{.}}/">Back to the start page</a></p>
</body></html>{{end}}

{{define "index"}}{{template "head" "Sign in"}}
<h1>Demo relying party</h1>
<p class="note">This page plays Azure AD B2C: it signs in against the bridge with the authorization code
flow, form_post, client_secret_post and a nonce, and shows the claims B2C would receive.</p>
<table>
<tr><th>Issuer</th><td><code>{{.Issuer}}</code></td></tr>
<tr><th>Client ID</th><td><code>{{.ClientID}}</code></td></tr>
<tr><th>Redirect URI</th><td><code>{{.RedirectURI}}</code></td></tr>
</table>
<ul class="buttons">{{range .Buttons}}
<li><a class="button" href="{{.Href}}">{{.Label}}</a> <small>scope <code>{{.Scope}}</code></small></li>{{end}}
</ul>
</body></html>{{end}}

{{define "result"}}{{template "head" "Signed in"}}
<h1>Signed in</h1>
<p>Requested scope <code>{{.Scope}}</code>.</p>
<h2>Checks B2C makes</h2>
<table>{{range .Checks}}
<tr><th>{{.Name}}</th><td class="good">{{.Outcome}}</td></tr>{{end}}
</table>
<h2>Token header</h2>
<table>
<tr><th>alg</th><td><code>{{.Alg}}</code></td></tr>
<tr><th>kid</th><td><code>{{.Kid}}</code></td></tr>{{if .Typ}}
<tr><th>typ</th><td><code>{{.Typ}}</code></td></tr>{{end}}
</table>
<h2>Claims in the id_token</h2>
<table>{{range .Claims}}
<tr><th><code>{{.Name}}</code></th><td>{{.Value}}</td></tr>{{end}}
</table>
<h2>Userinfo</h2>
<p class="{{if .UserInfo.Matched}}good{{else}}warn{{end}}">Userinfo {{.UserInfo.Summary}}.</p>{{if .UserInfo.Differences}}
<ul>{{range .UserInfo.Differences}}
<li>{{.}}</li>{{end}}
</ul>{{end}}
<p><small>B2C's OpenIdConnect technical profile never calls userinfo: only the id_token counts.</small></p>
<h2>Decoded payload</h2>
<pre>{{.Payload}}</pre>
{{template "foot" .BaseURL}}{{end}}

{{define "error"}}{{template "head" .Title}}
<h1>{{.Title}}</h1>
<div class="bad">{{if .Message}}<p>{{.Message}}</p>{{end}}{{if .ErrorCode}}
<p>error: <code>{{.ErrorCode}}</code></p>{{end}}{{if .Description}}
<p>error_description: {{.Description}}</p>{{end}}{{if .Detail}}
<pre>{{.Detail}}</pre>{{end}}</div>
{{template "foot" .BaseURL}}{{end}}`

func parsePages() (*template.Template, error) {
	t, err := template.New("pages").Parse(pageTemplates)
	if err != nil {
		return nil, fmt.Errorf("demorp: parse pages: %w", err)
	}
	return t, nil
}

// errorPage is every failure the RP shows.
type errorPage struct {
	Title, Message string
	// ErrorCode and Description are the OAuth error and error_description the bridge sent.
	ErrorCode, Description string
	Detail                 string
	BaseURL                string
}

func (rp *RP) renderError(w http.ResponseWriter, status int, page errorPage) {
	page.BaseURL = rp.baseURL
	rp.renderPage(w, status, "error", page)
}

// renderPage writes an HTML page with headers that keep it out of caches and frames.
func (rp *RP) renderPage(w http.ResponseWriter, status int, name string, data any) {
	htmlpage.Render(w, rp.log, rp.pages, rp.pageCSP, status, name, data)
}
