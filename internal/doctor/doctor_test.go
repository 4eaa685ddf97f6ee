package doctor

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"

	"idmebridge/internal/azuritetest"
	"idmebridge/internal/keys"
	"idmebridge/internal/seal"
	"idmebridge/internal/secrets"
)

// TestDoctorPassesOnAGoodDeployment: the simulator, a fake Key Vault and Azurite, every check
// run and passing; then an account that refuses the bridge's key is a blob finding.
func TestDoctorPassesOnAGoodDeployment(t *testing.T) {
	w := newWorld(t)
	conn := azuritetest.Start(t)
	w.withAzurite(conn)
	findings := w.run()
	if !OK(findings) {
		var b strings.Builder
		Write(&b, findings)
		t.Fatalf("doctor fails a good deployment:\n%s", b.String())
	}
	for _, check := range []string{"settings", "idme.discovery", "idme.authorize", "idme.logout", "idme.client_secret", "keyvault", "keyvault.secret", "state_key", "signing_keys", "signing_keys.next", "blob"} {
		want(t, findings, check, Pass)
	}
	want(t, findings, "blob", Pass, "idme-bridge on connection string")
	want(t, findings, "blob", Pass, "idme-verifications")
	want(t, findings, "signing_keys.next", Pass, "published 100h0m0s before")
	for _, f := range findings {
		for _, secret := range []string{"idme-secret", "rp-secret"} {
			if strings.Contains(f.Detail+f.Fix, secret) {
				t.Errorf("finding shows a secret value: %+v", f)
			}
		}
	}

	w.env["AzureWebJobsStorage"] = strings.Replace(conn, azuritetest.Key, "d3Jvbmcga2V5", 1)
	want(t, w.run(), "blob", Fail, "cannot write and read a blob", "Storage Blob Data Contributor")
}

// TestDoctorPassesInDevMode: settings as a local run has them (loopback issuer, memory store,
// throwaway keys, secrets as settings) against the simulator.
func TestDoctorPassesInDevMode(t *testing.T) {
	w := newWorld(t)
	delete(w.env, "BRIDGE_KEY_VAULT_URL")
	w.env["BRIDGE_ALLOW_EPHEMERAL_KEYS"] = "true"
	w.env["IDME_CLIENT_SECRET"] = "idme-secret"
	w.env["B2C_CLIENT_SECRET"] = "rp-secret"
	findings := w.run()
	if !OK(findings) {
		var b strings.Builder
		Write(&b, findings)
		t.Fatalf("doctor fails dev mode:\n%s", b.String())
	}
	want(t, findings, "secret", Pass, "bridge-signing-keys", "throwaway")
	want(t, findings, "blob", Skip)
}

// TestDoctorFindings breaks one thing at a time and expects the finding that names it.
func TestDoctorFindings(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name    string
		breakIt func(w *world)
		check   string
		texts   []string
	}{
		{"claim mapping without claim", func(w *world) { w.env["BRIDGE_CLAIM_MAPPINGS"] = "military_rank" }, "settings", []string{"BRIDGE_CLAIM_MAPPINGS", "handle=claim"}},
		{"placeholder", func(w *world) { w.env["IDME_CLIENT_ID"] = "replace-with-your-idme-sandbox-client-id" }, "settings", []string{"IDME_CLIENT_ID", "placeholder"}},
		{"redirect uri with trailing slash", func(w *world) {
			w.env["BRIDGE_CLIENTS"] = strings.Replace(w.env["BRIDGE_CLIENTS"], "authresp", "authresp/", 1)
		}, "settings", []string{"must not end with '/'"}},
		{"idme unreachable", func(w *world) { w.env["IDME_BASE_URL"] = closedURL(t) }, "idme.discovery", []string{"not reachable", "IDME_BASE_URL"}},
		{"idme issuer mismatch", func(w *world) { w.env["IDME_BASE_URL"] = proxyTo(t, w.sim.URL) }, "idme.discovery", []string{"did not match the issuer", "IDME_BASE_URL must be the host"}},
		{"callback not registered at ID.me", func(w *world) { w.restartSim("https://elsewhere.example.com") }, "idme.authorize", []string{"invalid_redirect_uri", "register exactly http://localhost:7071/callback"}},
		{"logout callback not registered at ID.me", func(w *world) { w.registerAtIDme(localIssuer + "/callback") }, "idme.logout", []string{"invalid_redirect_uri", "register exactly http://localhost:7071/logout/callback"}},
		{"wrong ID.me client secret", func(w *world) { w.vault.put("idme-client-secret", "not-the-secret", now) }, "idme.client_secret", []string{"refuses the client secret", "developer portal"}},
		{"unknown ID.me client", func(w *world) { w.env["IDME_CLIENT_ID"] = "ffffffffffffffffffffffffffffffff" }, "idme.authorize", []string{"invalid_client", "IDME_ENVIRONMENT"}},
		{"policy not at ID.me", func(w *world) {
			w.env["BRIDGE_CLIENTS"] = strings.Replace(w.env["BRIDGE_CLIENTS"], `"student"`, `"pilots"`, 1)
		}, "idme.authorize", []string{"scope pilots", "invalid_scope", "no policy \"pilots\""}},
		{"secret missing in vault", func(w *world) { w.vault.remove("b2c-client-secret") }, "keyvault.secret", []string{"b2c-client-secret", "does not exist", "az keyvault secret set --vault-name doctor-vault --name b2c-client-secret"}},
		{"signing keys missing in vault", func(w *world) { w.vault.remove("bridge-signing-keys") }, "keyvault.secret", []string{"the signing key set does not exist", "handler keys new > value.txt"}},
		{"secret disabled", func(w *world) { w.vault.disable("idme-client-secret") }, "keyvault.secret", []string{"ID.me client secret is disabled", "--enabled true"}},
		{"secret disabled, as Key Vault answers", func(w *world) {
			w.vault.fail("bridge-state-key", http.StatusForbidden)
			w.vault.code = "SecretDisabled"
		}, "keyvault.secret", []string{"the state key is disabled"}},
		{"no role on the vault", func(w *world) { w.vault.fail("idme-client-secret", http.StatusForbidden) }, "keyvault", []string{"may not read secrets", "Key Vault Secrets User"}},
		{"client secret missing in settings", func(w *world) {
			delete(w.env, "BRIDGE_KEY_VAULT_URL")
			w.env["BRIDGE_ALLOW_EPHEMERAL_KEYS"] = "true"
			w.env["IDME_CLIENT_SECRET"] = "idme-secret"
		}, "secret", []string{"client b2c", "B2C_CLIENT_SECRET"}},
		{"state key not a key", func(w *world) { w.vault.put("bridge-state-key", "c2hvcnQ=", now) }, "state_key", []string{"not usable", "handler keys state"}},
		{"small RSA key", func(w *world) { w.vault.put("bridge-signing-keys", smallKeySet(t), now) }, "signing_keys", []string{"not usable", "2048"}},
		{"repeated kid", func(w *world) { w.vault.put("bridge-signing-keys", repeatedKid(t), now) }, "signing_keys", []string{"not usable", "kid"}},
		{"no key signs now", func(w *world) { w.vault.put("bridge-signing-keys", onlyFutureKey(t, now), now) }, "signing_keys", []string{"no key may sign now", "handler keys show"}},
		{"next key published too late", func(w *world) {
			set, _, err := keys.AddKey(newKeySet(t), now.Add(3*time.Hour), now)
			if err != nil {
				t.Fatal(err)
			}
			w.vault.put("bridge-signing-keys", string(set), now.Add(-time.Hour))
		}, "signing_keys.next", []string{"only 4h0m0s before", "handler keys add --lead 72h0m0s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			tt.breakIt(w)
			findings := w.run()
			if OK(findings) {
				t.Fatal("doctor passed a broken configuration")
			}
			want(t, findings, tt.check, Fail, tt.texts...)
		})
	}
}

func TestCheckIsOfflineAndChecksTheClientIDShape(t *testing.T) {
	env := map[string]string{
		"BRIDGE_ISSUER":  localIssuer,
		"IDME_CLIENT_ID": "my-idme-app",
		"BRIDGE_CLIENTS": `[{"client_id":"b2c","secret_name":"s","redirect_uris":["` + rpRedirect + `"],"idme_scopes":["military"]}]`,
	}
	var out, errs bytes.Buffer
	err := Command(context.Background(), "check", []string{"--json"}, func(k string) (string, bool) { v, ok := env[k]; return v, ok }, &out, &errs)
	if err == nil {
		t.Fatal("check passed a client id of the wrong shape")
	}
	var report struct {
		OK       bool
		Findings []Finding
	}
	if err := json.Unmarshal(out.Bytes(), &report); err != nil {
		t.Fatalf("--json output: %v\n%s", err, out.String())
	}
	if report.OK || len(report.Findings) != 2 {
		t.Fatalf("report = %+v", report)
	}
	want(t, report.Findings, "idme.client_id", Fail, "32 lowercase hexadecimal", "developer portal")
	env["IDME_CLIENT_ID"] = idmeClientID
	out.Reset()
	if err := Command(context.Background(), "check", nil, func(k string) (string, bool) { v, ok := env[k]; return v, ok }, &out, &errs); err != nil {
		t.Fatalf("check refused a good configuration: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "PASS  idme.client_id") {
		t.Errorf("text output:\n%s", out.String())
	}
}

// TestAuthorizeErrorShapes: the ways ID.me answers a bad authorize request.
func TestAuthorizeErrorShapes(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		location string
		body     string
		want     string
	}{
		{"redirect with error", http.StatusFound, "https://bridge.example.com/callback?error=invalid_scope&error_description=no+policy", "", "invalid_scope"},
		{"redirect to sign-in", http.StatusFound, "https://api.idmelabs.com/session/new", "", ""},
		{"page naming the error", http.StatusOK, "", `<a href="https://bridge.example.com/callback?error=invalid_redirect_uri">`, "invalid_redirect_uri"},
		{"sign-in page", http.StatusOK, "", "<h1>Sign in to ID.me</h1>", ""},
		{"error page about the client", http.StatusBadRequest, "", "Unknown client_id.", "invalid_client"},
		{"server error", http.StatusInternalServerError, "", "oops", "HTTP 500"},
	}
	for _, tt := range tests {
		resp := &http.Response{StatusCode: tt.status, Header: http.Header{}, Request: &http.Request{URL: &url.URL{Scheme: "https", Host: "api.idmelabs.com"}}}
		if tt.location != "" {
			resp.Header.Set("Location", tt.location)
		}
		if code, _ := authorizeError(resp, []byte(tt.body)); code != tt.want {
			t.Errorf("%s: code = %q, want %q", tt.name, code, tt.want)
		}
	}
}

func TestClientIDShape(t *testing.T) {
	w := newWorld(t)
	delete(w.env, "IDME_BASE_URL") // ID.me's own host: the shape applies
	for id, wantStatus := range map[string]Status{idmeClientID: Pass, "0123456789ABCDEF0123456789ABCDEF": Fail, "idme-app": Fail, idmeClientID + "0": Fail} {
		w.env["IDME_CLIENT_ID"] = id
		cfg, _ := checkSettings(func(k string) (string, bool) { v, ok := w.env[k]; return v, ok })
		if f := checkIDmeClientID(cfg); f.Status != wantStatus {
			t.Errorf("%s: %+v", id, f)
		}
	}
}

// TestSecretsAsSettingsNeverLoadVault: with o.Secrets (dev mode) no vault is asked.
func TestSecretsAsSettingsNeverLoadVault(t *testing.T) {
	w := newWorld(t)
	w.vault.fail("idme-client-secret", http.StatusForbidden)
	w.opts.Secrets = secrets.Map{"idme-client-secret": "idme-secret", "bridge-state-key": seal.NewKey(), "bridge-signing-keys": string(newKeySet(t)), "b2c-client-secret": "y"}
	if findings := w.run(); !OK(findings) {
		var b strings.Builder
		Write(&b, findings)
		t.Fatal(b.String())
	}
}

func closedURL(t *testing.T) string {
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL
	srv.Close()
	return u
}

// proxyTo serves target's answers under another host, so its issuer is not this host's.
func proxyTo(t *testing.T, target string) string {
	u, _ := url.Parse(target)
	srv := httptest.NewServer(httputil.NewSingleHostReverseProxy(u))
	t.Cleanup(srv.Close)
	return srv.URL
}

func smallKeySet(t *testing.T) string {
	raw, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	k, err := jwk.FromRaw(raw)
	if err != nil {
		t.Fatal(err)
	}
	_ = k.Set(jwk.KeyIDKey, "small")
	b, _ := json.Marshal(map[string]any{"keys": []any{k}})
	return string(b)
}

func repeatedKid(t *testing.T) string {
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(newKeySet(t), &set); err != nil {
		t.Fatal(err)
	}
	var other struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(newKeySet(t), &other); err != nil {
		t.Fatal(err)
	}
	other.Keys[0]["kid"] = set.Keys[0]["kid"]
	set.Keys = append(set.Keys, other.Keys[0])
	b, _ := json.Marshal(set)
	return string(b)
}

func onlyFutureKey(t *testing.T, now time.Time) string {
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(newKeySet(t), &set); err != nil {
		t.Fatal(err)
	}
	set.Keys[0][keys.ParamSignsFrom] = now.Add(time.Hour).Unix()
	b, _ := json.Marshal(set)
	return string(b)
}
