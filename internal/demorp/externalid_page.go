package demorp

// externalIDStyle is the External ID mode's only styling; its hash goes into the CSP.
const externalIDStyle = `body{font-family:system-ui,sans-serif;max-width:56rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b;line-height:1.45}` +
	`h1{font-size:1.5rem}h2{font-size:1.1rem;margin-top:1.8rem}` +
	`.note{background:#fff7d6;border:1px solid #e0c96a;padding:.6rem .8rem;border-radius:4px}` +
	`.bad{background:#fdecea;border:1px solid #e3a39c;padding:.6rem .8rem;border-radius:4px}` +
	`a.button{display:inline-block;padding:.55rem .9rem;border-radius:4px;background:#0b4f8a;color:#fff;text-decoration:none}` +
	`table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:.35rem .6rem;border-bottom:1px solid #e2e2e2}` +
	`th{width:14rem;font-weight:600}td{word-break:break-word}` +
	`pre{background:#f5f5f5;border:1px solid #e2e2e2;border-radius:4px;padding:.8rem;overflow:auto;white-space:pre-wrap;word-break:break-all}`

const externalIDTemplates = `{{define "eid-head"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{.}} · External ID mode</title><style>` + externalIDStyle + `</style></head><body>{{end}}

{{define "eid-index"}}{{template "eid-head" "Sign up"}}
<h1>Demo relying party: External ID mode</h1>
<p class="note">This page plays Microsoft Entra External ID. It signs up through the bridge as a custom
OIDC provider (code flow, client_secret_post), checks email and email_verified as External ID does,
creates the user with its federated identity, then calls the bridge's custom authentication extension
(token issuance start) with a bearer token its stand-in tenant signs, and shows the token External ID
would issue to the application.</p>
<table>
<tr><th>Bridge (OIDC issuer)</th><td><code>{{.Issuer}}</code></td></tr>
<tr><th>Client ID</th><td><code>{{.ClientID}}</code></td></tr>
<tr><th>Redirect URI</th><td><code>{{.RedirectURI}}</code></td></tr>
<tr><th>Extension target URL</th><td><code>{{.ExtensionURL}}</code></td></tr>
</table>
<p><a class="button" href="{{.Login}}">Sign up with ID.me</a></p>
</body></html>{{end}}

{{define "eid-result"}}{{template "eid-head" "Token"}}
<h1>The token External ID would issue</h1>
<h2>1. Claims of the bridge's id_token (what External ID's claims mapping reads)</h2>
<pre>{{.IDTokenClaims}}</pre>
<h2>2. The user External ID created</h2>
<table><tr><th>Object id</th><td><code>{{.UserID}}</code></td></tr></table>
<pre>{{.Identities}}</pre>
<h2>3. Token issuance start call to the bridge ({{.ExtensionMillis}} ms, {{.ExtensionClaims}} claims)</h2>
<pre>{{.ExtensionRequest}}</pre>
<pre>{{.ExtensionResponse}}</pre>
<h2>4. Claims-mapping policy of the application</h2>
<pre>{{.ClaimsMappingPolicy}}</pre>
<h2>5. The application's token</h2>
<pre>{{.FinalClaims}}</pre>
<pre>{{.FinalToken}}</pre>
<p><a href="{{.BaseURL}}/">Back to the start page</a></p>
</body></html>{{end}}

{{define "eid-error"}}{{template "eid-head" .Title}}
<h1>{{.Title}}</h1>
<div class="bad"><pre>{{.Detail}}</pre></div>
<p><a href="{{.BaseURL}}/">Back to the start page</a></p>
</body></html>{{end}}`
