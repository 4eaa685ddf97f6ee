package devmode

import (
	"log/slog"
	"net/http"

	"idmebridge/internal/apiconnector"
	"idmebridge/internal/config"
	"idmebridge/internal/demorp"
	"idmebridge/internal/seal"
)

// The B2C user-flow mode of dev mode: the demo relying party also plays a B2C tenant that runs
// a user flow with the bridge as its OpenID Connect provider and the bridge's API connector,
// under /userflow/.
const (
	ufPath                = "/userflow"
	ufClientID            = "demo-userflow"
	ufSecretName          = "demo-userflow-secret"
	ufConnectorSecretName = "demo-userflow-connector"
)

// ufPolicies are what the user flow's client may ask ID.me for: military by default, and
// login (an account, nothing verified) when the provider's Scope names it, so that the
// connector's answer for someone without a verification can be seen.
var ufPolicies = []string{"military", "login"}

type userFlowMode struct {
	base, secret, password string
}

func newUserFlowMode(rpURL string) userFlowMode {
	// The connector's password is generated like the client secret: a user flow's API
	// connector stores it in B2C, the bridge reads it by api_connector_secret_name.
	return userFlowMode{base: rpURL + ufPath, secret: seal.NewKey(), password: seal.NewKey()}
}

// client is the stand-in B2C tenant's client of the bridge, with its API connector password.
func (m userFlowMode) client() config.Client {
	return config.Client{ID: ufClientID, SecretName: ufSecretName, APIConnectorSecretName: ufConnectorSecretName,
		RedirectURIs: []string{m.base + demorp.UserFlowRedirectPath}, IDmeScopes: ufPolicies, DefaultIDmeScopes: ufPolicies[:1]}
}

// addSecrets puts the client secret and the connector password where the bridge reads them.
func (m userFlowMode) addSecrets(s map[string]string) {
	s[ufSecretName] = m.secret
	s[ufConnectorSecretName] = m.password
}

// handler serves the user-flow mode.
func (m userFlowMode) handler(bridgeURL string, log *slog.Logger) (http.Handler, error) {
	return demorp.NewUserFlow(demorp.UserFlowOptions{
		BaseURL: m.base, Issuer: bridgeURL, ClientID: ufClientID, ClientSecret: m.secret,
		ConnectorURL: bridgeURL + apiconnector.Path, ConnectorPassword: m.password, Policies: ufPolicies[1:],
		Logger: log.With("component", "demo-userflow"),
	})
}
