package app

import (
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"idmebridge/internal/secrets/vaulttest"
)

// TestColdStartKeyVault measures, in process, from assembling the bridge to its first 200 from
// discovery when every secret comes from (the SDK's fake) Key Vault: the time the secrets take
// to load concurrently through the real azsecrets client. Once in CI; for a median:
//
//	COLDSTART_RUNS=9 go test -run TestColdStartKeyVault -v ./internal/app
func TestColdStartKeyVault(t *testing.T) {
	runs := 1
	if n, err := strconv.Atoi(os.Getenv("COLDSTART_RUNS")); err == nil && n > 0 {
		runs = n
	}
	vault := vaulttest.New(map[string]string{
		"idme-client-secret": "s", "rp-secret": "t", "bridge-state-key": "q1KMkq9E8XbB3fJ2+eUQ5cTnxv5QnqX0lJf1ZyWkzX8=",
		"bridge-signing-keys": testKeySet(t),
	})
	cfg := loadConfig(t, map[string]string{
		"BRIDGE_ISSUER": "http://localhost:7071", "IDME_CLIENT_ID": "idme-app",
		"BRIDGE_CLIENTS":       `[{"client_id":"b2c","secret_name":"rp-secret","redirect_uris":["` + rpRedirectURI + `"],"idme_scopes":["military"]}]`,
		"BRIDGE_KEY_VAULT_URL": vaulttest.URL, "BRIDGE_STORE": "memory",
	})
	var times []time.Duration
	for range runs {
		start := time.Now()
		b, err := New(t.Context(), Parts{Config: cfg, Credential: vaulttest.Credential(), KeyVaultTransport: vault.Transport()})
		if err != nil {
			t.Fatal(err)
		}
		go b.Run(t.Context())
		h := b.Handler()
		for {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/.well-known/openid-configuration", nil))
			if rec.Code == http.StatusOK {
				break
			}
			if time.Since(start) > 30*time.Second {
				t.Fatal("no 200 within 30s")
			}
			time.Sleep(time.Millisecond)
		}
		times = append(times, time.Since(start))
	}
	slices.Sort(times)
	t.Logf("cold start with Key Vault over %d run(s): median %s, min %s, max %s", runs, times[len(times)/2], times[0], times[len(times)-1])
	if times[len(times)/2] > 5*time.Second {
		t.Fatalf("median %s", times[len(times)/2])
	}
}
