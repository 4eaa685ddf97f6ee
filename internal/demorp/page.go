package demorp

import (
	"net/http"

	"idmebridge/internal/htmlpage"
)

const pageTemplates = `{{define "foot"}}<p><a href="{{.}}/">Back to the start page</a></p>
{{template "end"}}{{end}}

{{define "index"}}{{template "head" "Sign in"}}
<h1>Demo relying party</h1>{{if .SignedOut}}
<p class="verdict good">Signed out: the bridge ended the session at ID.me and sent you back here.</p>{{end}}
<p class="note">This page plays Azure AD B2C: it signs in against the bridge with the authorization code
flow, form_post, client_secret_post and a nonce, and shows the claims B2C would receive.</p>
<table>
<tr><th>Issuer</th><td><code>{{.Issuer}}</code></td></tr>
<tr><th>Client ID</th><td><code>{{.ClientID}}</code></td></tr>
<tr><th>Redirect URI</th><td><code>{{.RedirectURI}}</code></td></tr>
</table>
<h2>Sign-up or sign-in</h2>
<ul class="buttons">{{range .Buttons}}
<li><a class="button" href="{{.Href}}">{{.Label}}</a> <small>scope <code>{{.Scope}}</code>{{if .Note}}: {{.Note}}{{end}}</small></li>{{end}}
</ul>{{with .Verify}}
<h2>Verification journey</h2>
<ul class="buttons"><li><a class="button" href="{{.Href}}">{{.Label}}</a> <small>scope <code>{{.Scope}}</code>: {{.Note}}</small></li></ul>{{end}}{{if .PolicyMissing}}
<p class="bad">` + policyMissingHint + `</p>{{end}}{{with .Modes}}
<h2>Other tenants</h2>
<ul>{{range .}}
<li><a href="{{.Href}}">{{.Label}}</a>{{if .Note}} <small>{{.Note}}</small>{{end}}</li>{{end}}
</ul>{{end}}
{{template "end"}}{{end}}

{{define "result"}}{{template "head" "Sign-in result"}}
<h1>Sign-in result</h1>
<div class="verdict" id="verdict">{{range .Verdict.Lines}}
<div class="{{if .Verified}}good{{else}}warn{{end}}">{{.Text}}</div>{{end}}
</div>
<p>Requested scope <code>{{.Scope}}</code>{{if .Defaulted}}{{if .Policies}}, which names no ID.me policy: the bridge asked ID.me
for this application's default, <code>{{.Policies}}</code>{{end}}{{else}}: the bridge asked ID.me for <code>{{.Policies}}</code>{{end}}.</p>{{if .Verdict.NotRequested}}
<p><small>Not requested: {{range $i, $g := .Verdict.NotRequested}}{{if $i}}, {{end}}{{$g}}{{end}}. Their
<code>idme_*_verified</code> claims say false because nobody asked, not because verification failed.</small></p>{{end}}{{if .Verdict.MilitaryNotVerified}}
<p class="bad">The verify-military journey would stop here: <a href="{{.BaseURL}}/verify">see its verification-required page</a>.
B2C issues no token.</p>{{else if eq .Journey "verify"}}
<p class="good">The verify-military journey continues: B2C issues its token.</p>{{end}}
{{with .B2C}}<h2>Claims as B2C holds them</h2>
<p><small>After the <code>{{.ProfileID}}</code> technical profile's OutputClaims, read from the shipped policy files.</small></p>
<table id="b2c-claims">
<tr><th>B2C claim type</th><th>Partner claim</th><th>Value</th></tr>{{range .Rows}}
<tr><td><code>{{.ClaimType}}</code></td><td><code>{{.Partner}}</code></td><td>{{.Value}}{{if .Note}} <small>({{.Note}})</small>{{end}}</td></tr>{{end}}
</table>{{if .Dropped}}
<p><small>Dropped by B2C (no OutputClaim maps them): {{range $i, $c := .Dropped}}{{if $i}}, {{end}}<code>{{$c}}</code>{{end}}.</small></p>{{end}}{{end}}
{{if .LogoutURL}}<p><a class="button" id="sign-out" href="{{.LogoutURL}}">Sign out</a> <small>through the bridge's <code>/logout</code>, which signs out at ID.me too</small></p>{{end}}
<h2>The id_token</h2>
<textarea id="id-token" readonly rows="6" aria-label="raw id_token">{{.RawIDToken}}</textarea>
<h2>Decoded header</h2>
<pre>{{.Header}}</pre>
<h2>Decoded payload</h2>
<pre>{{.Payload}}</pre>
<h2>Checks B2C makes</h2>
<table>{{range .Checks}}
<tr><th>{{.Name}}</th><td class="good">{{.Outcome}}</td></tr>{{end}}
</table>
<h2>Userinfo</h2>
<p class="{{if .UserInfo.Matched}}good{{else}}warn{{end}}">Userinfo {{.UserInfo.Summary}}.</p>{{if .UserInfo.Differences}}
<ul>{{range .UserInfo.Differences}}
<li>{{.}}</li>{{end}}
</ul>{{end}}
<p><small>B2C's OpenIdConnect technical profile never calls userinfo: only the id_token counts.</small></p>
{{template "foot" .BaseURL}}{{end}}

{{define "verify"}}{{template "head" .Step.Title}}
<p class="note">The verify-military journey's page for someone ID.me did not verify as military, as the
shipped policy defines it: no Continue button, and B2C issues no token. Cancel returns the user to the application.</p>
<h1>{{.Step.Title}}</h1>
<p class="bad" id="verify-message">{{.Step.Message}}</p>
<p><a class="button" href="{{.BaseURL}}/">Cancel</a></p>
{{template "end"}}{{end}}

{{define "error"}}{{template "head" .Title}}
<h1>{{.Title}}</h1>
<div class="bad">{{if .Message}}<p>{{.Message}}</p>{{end}}{{if .ErrorCode}}
<p>error: <code>{{.ErrorCode}}</code></p>{{end}}{{if .Description}}
<p>error_description: {{.Description}}</p>{{end}}{{if .Detail}}
<pre>{{.Detail}}</pre>{{end}}</div>
{{template "foot" .BaseURL}}{{end}}`

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
