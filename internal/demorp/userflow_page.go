package demorp

// userFlowTemplates are the B2C user-flow mode's pages.
const userFlowTemplates = `{{define "uf-index"}}{{template "tenant-head" "Sign in · B2C user flow mode"}}
<h1>Demo relying party: B2C user flow mode</h1>
<p class="note">This page plays an Azure AD B2C user flow whose identity provider is the bridge, added as a
generic OpenID Connect provider in the portal (no custom policy). It signs in through the bridge (code
flow, form_post, client_secret_post), keeps only the five claims the provider's claims mapping can take,
gives the user an object id and a federated identity, then calls the bridge's API connector at "Before
sending the token (preview)" with HTTP Basic authentication, and shows the token B2C would issue to the
application: the mapped claims plus the connector's <code>extension_</code> claims.</p>
<table>
<tr><th>Metadata URL</th><td><code>{{.Issuer}}/.well-known/openid-configuration</code></td></tr>
<tr><th>Client ID</th><td><code>{{.ClientID}}</code></td></tr>
<tr><th>Redirect URI</th><td><code>{{.RedirectURI}}</code></td></tr>
<tr><th>API connector endpoint URL</th><td><code>{{.ConnectorURL}}</code></td></tr>
<tr><th>API connector user name</th><td><code>{{.ClientID}}</code></td></tr>
</table>
<h2>Claims mapping of the identity provider</h2>
<pre>{{.Mapping}}</pre>
<h2>Sign in</h2>
<ul>{{range .Buttons}}
<li><a class="button" href="{{.Href}}">Sign in with ID.me</a> <small>identity provider Scope <code>{{.Scope}}</code></small></li>{{end}}
</ul>
</body></html>{{end}}

{{define "uf-result"}}{{template "tenant-head" "Token · B2C user flow mode"}}
<h1>The token the user flow would issue</h1>
<p>Identity provider Scope <code>{{.Scope}}</code>.</p>
<h2>1. Claims of the bridge's id_token</h2>
<pre>{{.IDTokenClaims}}</pre>
<p>Dropped by the claims mapping (it has five fields only):{{range .Dropped}} <code>{{.}}</code>{{end}}.</p>
<h2>2. What the claims mapping keeps</h2>
<pre>{{.Mapped}}</pre>
<h2>3. The user B2C keeps</h2>
<table><tr><th>Object id</th><td><code>{{.ObjectID}}</code></td></tr></table>
<pre>{{.Identities}}</pre>
<h2>4. API connector call, "Before sending the token" ({{.ConnectorMillis}} ms, HTTP {{.ConnectorStatus}})</h2>
<p>Authorization: {{.ConnectorAuth}}</p>
<pre id="connector-request">{{.ConnectorRequest}}</pre>
<pre id="connector-response">{{.ConnectorResponse}}</pre>
<p>Custom attributes to select as the user flow's application claims:{{range .ExtensionClaims}} <code>{{.}}</code>{{else}} none for this user{{end}}.</p>
<h2>5. The application's token (payload; B2C signs it with its own key)</h2>
<pre id="final-token">{{.FinalClaims}}</pre>
<p><a href="{{.BaseURL}}/">Back to the start page</a></p>
</body></html>{{end}}`
