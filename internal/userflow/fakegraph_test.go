package userflow

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"idmebridge/internal/b2cgraph"
)

type fakeCredential struct{}

func (fakeCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "t", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// fakeGraph is a B2C tenant's Graph as the pages cited in graph.go and setup.go describe it: the
// collections answer {"value": [...]}, creates answer 201 with the object, updates and $ref
// writes answer 204, secrets read back masked.
type fakeGraph struct {
	mu         sync.Mutex
	providers  []map[string]any
	attributes []map[string]any
	connectors []map[string]any
	flows      map[string]string   // id -> userFlowType
	flowIdPs   map[string][]string // id -> identity provider ids
	writes     []string            // "METHOD /version/path body"
	deny       map[string]int      // path prefix (below the version) -> status for every call
	pageSize   int                 // >0: lists are paged with @odata.nextLink; <0: it never ends
	srv        *httptest.Server
	t          *testing.T
}

func newFake(t *testing.T) *fakeGraph {
	f := &fakeGraph{t: t, flows: map[string]string{"B2C_1_susi": "signUpOrSignIn"}, flowIdPs: map[string][]string{}, deny: map[string]int{}}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

// setup returns a Setup against the fake, with real b2cgraph clients.
func (f *fakeGraph) setup(t *testing.T, out io.Writer, dry bool) Setup {
	t.Helper()
	v1, err := b2cgraph.New(fakeCredential{}, b2cgraph.Options{BaseURL: f.srv.URL + "/v1.0", HTTPClient: f.srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	beta, err := b2cgraph.New(fakeCredential{}, b2cgraph.Options{BaseURL: f.srv.URL + "/beta", HTTPClient: f.srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return Setup{V1: v1, Beta: beta, Out: out, DryRun: dry}
}

func (f *fakeGraph) writeCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.writes)
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("request-id", "req-1")
	w.WriteHeader(status)
	if v != nil {
		_ = json.NewEncoder(w).Encode(v)
	}
}

func graphError(w http.ResponseWriter, status int, code, msg string) {
	reply(w, status, map[string]any{"error": map[string]any{"code": code, "message": msg}})
}

// masked is a stored object as Graph reads it back: clientSecret and password "******"
// (openidconnectidentityprovider.md: "A read operation returns ****"; identityapiconnector-create
// example 1 response: "password": "******").
func masked(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		switch k {
		case "clientSecret":
			out[k] = "******"
		case "authenticationConfiguration":
			a := map[string]any{}
			for k2, v2 := range v.(map[string]any) {
				a[k2] = v2
			}
			a["password"] = "******"
			out[k] = a
		default:
			out[k] = v
		}
	}
	return out
}

func (f *fakeGraph) list(w http.ResponseWriter, r *http.Request, items []map[string]any) {
	vals := make([]map[string]any, 0, len(items))
	for _, it := range items {
		vals = append(vals, masked(it))
	}
	doc := map[string]any{"@odata.context": "ctx"}
	if f.pageSize < 0 { // a broken service: every page links to itself
		doc["@odata.nextLink"] = f.srv.URL + r.URL.Path
	}
	if f.pageSize > 0 {
		start := 0
		fmt.Sscan(r.URL.Query().Get("skip"), &start)
		end := min(start+f.pageSize, len(vals))
		if end < len(vals) {
			doc["@odata.nextLink"] = fmt.Sprintf("%s%s?skip=%d", f.srv.URL, r.URL.Path, end)
		}
		vals = vals[start:end]
	}
	doc["value"] = vals
	reply(w, http.StatusOK, doc)
}

func (f *fakeGraph) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	version, path, _ := strings.Cut(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/")
	path = "/" + path
	for prefix, status := range f.deny {
		if strings.HasPrefix(path, prefix) {
			graphError(w, status, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
			return
		}
	}
	if r.Method != http.MethodGet {
		f.writes = append(f.writes, r.Method+" /"+version+path+" "+string(body))
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			graphError(w, http.StatusUnsupportedMediaType, "BadRequest", "Content-Type "+ct)
			return
		}
	}
	var in map[string]any
	if len(body) > 0 {
		if err := json.Unmarshal(body, &in); err != nil {
			graphError(w, http.StatusBadRequest, "BadRequest", err.Error())
			return
		}
	}
	switch {
	case version == "beta" && path == "/identity/identityProviders" && r.Method == http.MethodGet:
		f.list(w, r, f.providers)
	case version == "beta" && path == "/identity/identityProviders" && r.Method == http.MethodPost:
		// identitycontainer-post-identityproviders (beta): "All the properties listed in the
		// following tables are required."
		for _, k := range []string{"displayName", "clientId", "clientSecret", "domainHint", "claimsMapping", "metadataUrl", "responseMode", "responseType", "scope"} {
			if in[k] == nil || in[k] == "" {
				graphError(w, http.StatusBadRequest, "BadRequest", k+" is required")
				return
			}
		}
		if !sameType(fmt.Sprint(in["@odata.type"]), oidcProviderType) {
			graphError(w, http.StatusBadRequest, "BadRequest", "not an openIdConnectIdentityProvider")
			return
		}
		in["id"] = fmt.Sprintf("%s-OIDC-%s", in["displayName"], in["clientId"])
		in["@odata.type"] = "#" + oidcProviderType
		f.providers = append(f.providers, in)
		reply(w, http.StatusCreated, masked(in))
	case version == "beta" && strings.HasPrefix(path, "/identity/identityProviders/") && r.Method == http.MethodPatch:
		f.patch(w, f.providers, strings.TrimPrefix(path, "/identity/identityProviders/"), in)
	case version == "v1.0" && path == "/identity/userFlowAttributes" && r.Method == http.MethodGet:
		f.list(w, r, f.attributes)
	case version == "v1.0" && path == "/identity/userFlowAttributes" && r.Method == http.MethodPost:
		// identityuserflowattribute-post (v1.0): id extension_<appid>_<displayName>, type custom.
		dt := fmt.Sprint(in["dataType"])
		if dt != "string" && dt != "boolean" && dt != "int64" {
			graphError(w, http.StatusBadRequest, "BadRequest", "dataType "+dt)
			return
		}
		in["id"] = "extension_d09380e2b4c642b9a203fb816a04a7ad_" + fmt.Sprint(in["displayName"])
		in["userFlowAttributeType"] = "custom"
		f.attributes = append(f.attributes, in)
		reply(w, http.StatusCreated, in)
	case version == "v1.0" && path == "/identity/apiConnectors" && r.Method == http.MethodGet:
		f.list(w, r, f.connectors)
	case version == "v1.0" && path == "/identity/apiConnectors" && r.Method == http.MethodPost:
		auth, _ := in["authenticationConfiguration"].(map[string]any)
		if in["displayName"] == nil || in["targetUrl"] == nil || auth == nil || auth["password"] == "" {
			graphError(w, http.StatusBadRequest, "BadRequest", "displayName, targetUrl and authenticationConfiguration are required")
			return
		}
		in["id"] = fmt.Sprintf("45715bb8-13f9-4bf6-927f-%012d", len(f.connectors))
		f.connectors = append(f.connectors, in)
		reply(w, http.StatusCreated, masked(in))
	case version == "v1.0" && strings.HasPrefix(path, "/identity/apiConnectors/") && r.Method == http.MethodPatch:
		f.patch(w, f.connectors, strings.TrimPrefix(path, "/identity/apiConnectors/"), in)
	case version == "beta" && strings.HasPrefix(path, "/identity/b2cUserFlows/"):
		f.userFlow(w, r, strings.TrimPrefix(path, "/identity/b2cUserFlows/"), in)
	default:
		graphError(w, http.StatusNotFound, "ResourceNotFound", "no route "+r.Method+" /"+version+path)
	}
}

func (f *fakeGraph) patch(w http.ResponseWriter, items []map[string]any, id string, in map[string]any) {
	for _, it := range items {
		if it["id"] == id {
			for k, v := range in {
				it[k] = v
			}
			reply(w, http.StatusNoContent, nil)
			return
		}
	}
	graphError(w, http.StatusNotFound, "ResourceNotFound", id)
}

func (f *fakeGraph) userFlow(w http.ResponseWriter, r *http.Request, rest string, in map[string]any) {
	id, sub, _ := strings.Cut(rest, "/")
	typ, ok := f.flows[id]
	if !ok {
		graphError(w, http.StatusNotFound, "ResourceNotFound", "user flow "+id)
		return
	}
	switch {
	case sub == "" && r.Method == http.MethodGet:
		reply(w, http.StatusOK, map[string]any{"id": id, "userFlowType": typ, "userFlowTypeVersion": 3})
	case sub == "userflowIdentityProviders" && r.Method == http.MethodGet:
		var items []map[string]any
		for _, p := range f.flowIdPs[id] {
			items = append(items, map[string]any{"@odata.type": "#" + oidcProviderType, "id": p})
		}
		f.list(w, r, items)
	case sub == "userflowIdentityProviders/$ref" && r.Method == http.MethodPost:
		// b2cidentityuserflow-post-userflowidentityproviders (beta): {"@odata.id":
		// "https://graph.microsoft.com/beta/identity/identityProviders/{id}"}, 204.
		ref := fmt.Sprint(in["@odata.id"])
		pid, ok := strings.CutPrefix(ref, f.srv.URL+"/beta/identity/identityProviders/")
		if !ok {
			graphError(w, http.StatusBadRequest, "BadRequest", "@odata.id "+ref)
			return
		}
		f.flowIdPs[id] = append(f.flowIdPs[id], pid)
		reply(w, http.StatusNoContent, nil)
	default:
		graphError(w, http.StatusNotFound, "ResourceNotFound", rest)
	}
}
