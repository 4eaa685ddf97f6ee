package devmode

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"

	"idmebridge/internal/authext"
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

// addTo turns the extension on, trusting the stand-in tenant and Graph, and registers the
// stand-in tenant as a second client.
func (m externalIDMode) addTo(settings map[string]string) {
	settings["BRIDGE_VERIFICATION_RECORDS"] = "true"
	settings["EXTERNALID_TENANT_ID"] = eidTenantID
	settings["EXTERNALID_EXTENSION_APP_ID"] = eidAppID
	settings["EXTERNALID_AUTHORITY"] = m.base + demorp.ExternalIDTenantPath
	settings["EXTERNALID_GRAPH_URL"] = m.base + demorp.ExternalIDGraphPath
	clients := settings["BRIDGE_CLIENTS"]
	settings["BRIDGE_CLIENTS"] = clients[:len(clients)-1] + fmt.Sprintf(
		`,{"client_id":%q,"secret_name":%q,"redirect_uris":[%q],"idme_scopes":["military"],"default_idme_scopes":["military"]}]`,
		eidClientID, eidSecretName, m.base+demorp.ExternalIDRedirectPath)
}

// credential gets "Graph tokens" for the stand-in Graph, which accepts any.
func (m externalIDMode) credential() azcore.TokenCredential { return &fake.TokenCredential{} }

// mount serves the External ID mode beside the demo relying party.
func (m externalIDMode) mount(rp http.Handler, bridgeURL string, log *slog.Logger) (http.Handler, error) {
	eid, err := demorp.NewExternalID(demorp.ExternalIDOptions{
		BaseURL: m.base, Issuer: bridgeURL, ClientID: eidClientID, ClientSecret: m.secret,
		TenantID: eidTenantID, ExtensionAppID: eidAppID, ExtensionURL: bridgeURL + authext.Path,
		Logger: log.With("component", "demo-externalid"),
	})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle(eidPath+"/", eid)
	mux.Handle("/", rp)
	return mux, nil
}
