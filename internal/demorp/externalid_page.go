package demorp

// externalIDTemplates are the External ID mode's pages.
const externalIDTemplates = `{{define "eid-index"}}{{template "tenant-head" "Sign up · External ID mode"}}
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

{{define "eid-result"}}{{template "tenant-head" "Token · External ID mode"}}
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
</body></html>{{end}}`
