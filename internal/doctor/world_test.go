package doctor

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets/fake"

	"idmebridge/internal/idmesim"
	"idmebridge/internal/keys"
	"idmebridge/internal/seal"
)

const (
	vaultURL     = "https://doctor-vault.vault.azure.net/"
	localIssuer  = "http://localhost:7071"
	publicIssuer = "https://bridge.example.com"
	idmeClientID = "0123456789abcdef0123456789abcdef"
	rpRedirect   = "https://contoso.b2clogin.com/contoso.onmicrosoft.com/oauth2/authresp"
)

// world is a good deployment: an ID.me simulator that knows the bridge's callback, a fake Key
// Vault (the SDK's fake server, so the real azsecrets client and its HTTPS-only policy run)
// holding every secret, and settings naming them. Tests break one thing and look for its
// finding.
type world struct {
	t     *testing.T
	env   map[string]string
	vault *fakeVault
	sim   *httptest.Server
	opts  Options
}

func newWorld(t *testing.T) *world {
	t.Helper()
	sim := httptest.NewUnstartedServer(nil)
	base := "http://" + sim.Listener.Addr().String()
	s, err := idmesim.New(idmesim.Options{BaseURL: base, Clients: []idmesim.Client{{ID: idmeClientID, Secret: "idme-secret",
		RedirectURIs: []string{localIssuer + "/callback", localIssuer + "/logout/callback"}}}})
	if err != nil {
		t.Fatal(err)
	}
	sim.Config.Handler = s
	sim.Start()
	t.Cleanup(sim.Close)

	now := time.Now()
	first, withNext := sharedKeySets(t)
	v := newFakeVault()
	v.put("idme-client-secret", "idme-secret", now.Add(-200*time.Hour))
	v.put("bridge-state-key", seal.NewKey(), now.Add(-200*time.Hour))
	v.put("bridge-signing-keys", string(first), now.Add(-200*time.Hour))
	// The next key was published 100h before it signs: more than the 72h lead.
	v.put("bridge-signing-keys", string(withNext), now.Add(-98*time.Hour))
	v.put("b2c-client-secret", "rp-secret", now.Add(-200*time.Hour))

	w := &world{t: t, vault: v, sim: sim, env: map[string]string{
		"BRIDGE_ISSUER":        localIssuer,
		"IDME_CLIENT_ID":       idmeClientID,
		"IDME_BASE_URL":        base,
		"BRIDGE_KEY_VAULT_URL": vaultURL,
		"BRIDGE_CLIENTS": `[{"client_id":"b2c","secret_name":"b2c-client-secret","redirect_uris":["` + rpRedirect +
			`"],"idme_scopes":["military","student"]}]`,
	}}
	w.opts = Options{Credential: &azfake.TokenCredential{}, KeyVaultTransport: v.transport(), Timeout: 5 * time.Second}
	return w
}

// withAzurite makes the world a deployment: a public issuer, the single-use store and the
// verification records in Blob Storage (Azurite).
func (w *world) withAzurite(conn string) {
	w.env["BRIDGE_ISSUER"] = publicIssuer
	w.env["BRIDGE_STORE"] = "blob"
	w.env["BRIDGE_VERIFICATION_RECORDS"] = "true"
	w.env["AzureWebJobsStorage"] = conn
	w.restartSim(publicIssuer)
}

// restartSim makes the simulator know the callbacks under bridge instead.
func (w *world) restartSim(bridge string) {
	w.registerAtIDme(bridge+"/callback", bridge+"/logout/callback")
}

// registerAtIDme makes the simulator know exactly these redirect URIs.
func (w *world) registerAtIDme(uris ...string) {
	s, err := idmesim.New(idmesim.Options{BaseURL: "http://" + w.sim.Listener.Addr().String(), Clients: []idmesim.Client{{ID: idmeClientID, Secret: "idme-secret",
		RedirectURIs: uris}}})
	if err != nil {
		w.t.Fatal(err)
	}
	w.sim.Config.Handler = s
}

func (w *world) run() []Finding {
	w.t.Helper()
	o := w.opts
	o.Lookup = func(k string) (string, bool) { v, ok := w.env[k]; return v, ok }
	return Run(context.Background(), o)
}

// want fails the test unless some finding of check has status and mentions every text.
func want(t *testing.T, findings []Finding, check string, status Status, texts ...string) {
	t.Helper()
	for _, f := range findings {
		if f.Check != check || f.Status != status {
			continue
		}
		all := f.Subject + " " + f.Detail + " " + f.Fix
		ok := true
		for _, s := range texts {
			ok = ok && strings.Contains(all, s)
		}
		if ok {
			return
		}
	}
	var b strings.Builder
	Write(&b, findings)
	t.Fatalf("no %s finding %s mentioning %q in:\n%s", status, check, texts, b.String())
}

// Key generation is slow under the race detector: the tests share a few sets.
var keySets = sync.OnceValues(func() ([][]byte, error) {
	var sets [][]byte
	for range 3 {
		set, err := keys.NewPrivateSet()
		if err != nil {
			return nil, err
		}
		sets = append(sets, set)
	}
	now := time.Now()
	withNext, _, err := keys.AddKey(sets[0], now.Add(2*time.Hour), now)
	return append(sets, withNext), err
})

// sharedKeySets returns a set with one key and the same set with a next key signing in 2h.
func sharedKeySets(t *testing.T) (first, withNext []byte) {
	t.Helper()
	sets, err := keySets()
	if err != nil {
		t.Fatal(err)
	}
	return sets[0], sets[3]
}

// newKeySet returns one of two other sets, alternating, so two calls give two keys.
var alternate atomic.Int32

func newKeySet(t *testing.T) []byte {
	t.Helper()
	sets, err := keySets()
	if err != nil {
		t.Fatal(err)
	}
	return sets[1+int(alternate.Add(1))%2]
}

// fakeVault answers GetSecret (any version) and lists versions, with attributes.
type fakeVault struct {
	mu       sync.Mutex
	versions map[string][]vaultVersion
	status   map[string]int // a forced error status per secret name
	code     string         // the error code answered with it; default the status text
}

type vaultVersion struct {
	id, value string
	created   time.Time
	enabled   bool
}

func newFakeVault() *fakeVault {
	return &fakeVault{versions: map[string][]vaultVersion{}, status: map[string]int{}}
}

func (v *fakeVault) put(name, value string, created time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	id := "v" + string(rune('a'+len(v.versions[name])))
	v.versions[name] = append(v.versions[name], vaultVersion{id: id, value: value, created: created, enabled: true})
	sort.Slice(v.versions[name], func(i, j int) bool { return v.versions[name][i].created.Before(v.versions[name][j].created) })
}

func (v *fakeVault) disable(name string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	vs := v.versions[name]
	vs[len(vs)-1].enabled = false
}

func (v *fakeVault) remove(name string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.versions, name)
}

func (v *fakeVault) fail(name string, status int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.status[name] = status
}

func (v *fakeVault) transport() *fake.ServerTransport {
	return fake.NewServerTransport(&fake.Server{
		GetSecret: func(_ context.Context, name, version string, _ *azsecrets.GetSecretOptions) (resp azfake.Responder[azsecrets.GetSecretResponse], errResp azfake.ErrorResponder) {
			v.mu.Lock()
			defer v.mu.Unlock()
			if st, ok := v.status[name]; ok {
				code := v.code
				if code == "" {
					code = http.StatusText(st)
				}
				errResp.SetResponseError(st, code)
				return
			}
			vs := v.versions[name]
			if len(vs) == 0 {
				errResp.SetResponseError(http.StatusNotFound, "SecretNotFound")
				return
			}
			got := vs[len(vs)-1]
			for _, x := range vs {
				if x.id == version {
					got = x
				}
			}
			id := azsecrets.ID(vaultURL + "secrets/" + name + "/" + got.id)
			resp.SetResponse(http.StatusOK, azsecrets.GetSecretResponse{Secret: azsecrets.Secret{
				ID: &id, Value: &got.value, Attributes: &azsecrets.SecretAttributes{Enabled: &got.enabled, Created: &got.created},
			}}, nil)
			return
		},
		NewListSecretPropertiesVersionsPager: func(name string, _ *azsecrets.ListSecretPropertiesVersionsOptions) (resp azfake.PagerResponder[azsecrets.ListSecretPropertiesVersionsResponse]) {
			v.mu.Lock()
			defer v.mu.Unlock()
			var props []*azsecrets.SecretProperties
			for _, x := range v.versions[name] {
				id := azsecrets.ID(vaultURL + "secrets/" + name + "/" + x.id)
				props = append(props, &azsecrets.SecretProperties{ID: &id, Attributes: &azsecrets.SecretAttributes{Enabled: &x.enabled, Created: &x.created}})
			}
			resp.AddPage(http.StatusOK, azsecrets.ListSecretPropertiesVersionsResponse{SecretPropertiesListResult: azsecrets.SecretPropertiesListResult{Value: props}}, nil)
			return
		},
	})
}
