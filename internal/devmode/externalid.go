package devmode

import (
	"log/slog"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"

	"idmebridge/internal/authext"
	"idmebridge/internal/config"
	"idmebridge/internal/demorp"
	"idmebridge/internal/seal"
)

// The External ID mode of dev mode: the demo relying party also plays an External ID tenant
// (its keys, Graph, and both calls) under /externalid/.
const (
	eidPath       = "/externalid"
	eidClientID   = "demo-externalid"
	eidSecretName = "demo-externalid-secret"
	eidTenantID   = "00000000-0000-4000-8000-00000000e1d0"
	eidAppID      = "00000000-0000-4000-8000-00000000a991"
)

type externalIDMode struct {
	base, secret string
}

func newExternalIDMode(rpURL string) externalIDMode {
	return externalIDMode{base: rpURL + eidPath, secret: seal.NewKey()}
}

// addTo turns the extension on, trusting the stand-in tenant and Graph.
func (m externalIDMode) addTo(settings map[string]string) {
	settings["EXTERNALID_TENANT_ID"] = eidTenantID
	settings["EXTERNALID_EXTENSION_APP_ID"] = eidAppID
	settings["EXTERNALID_AUTHORITY"] = m.base + demorp.ExternalIDTenantPath
	settings["EXTERNALID_GRAPH_URL"] = m.base + demorp.ExternalIDGraphPath
}

// client is the stand-in tenant's client of the bridge.
func (m externalIDMode) client() config.Client {
	return config.Client{ID: eidClientID, SecretName: eidSecretName, RedirectURIs: []string{m.base + demorp.ExternalIDRedirectPath},
		IDmeScopes: []string{"military"}, DefaultIDmeScopes: []string{"military"}}
}

// credential gets "Graph tokens" for the stand-in Graph, which accepts any.
func (m externalIDMode) credential() azcore.TokenCredential { return &fake.TokenCredential{} }

// handler serves the External ID mode.
func (m externalIDMode) handler(bridgeURL string, log *slog.Logger) (http.Handler, error) {
	return demorp.NewExternalID(demorp.ExternalIDOptions{
		BaseURL: m.base, Issuer: bridgeURL, ClientID: eidClientID, ClientSecret: m.secret,
		TenantID: eidTenantID, ExtensionAppID: eidAppID, ExtensionURL: bridgeURL + authext.Path,
		Logger: log.With("component", "demo-externalid"),
	})
}
