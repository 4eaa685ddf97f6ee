package app

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/lestrrat-go/jwx/v2/jws"

	"idmebridge/internal/keys"
	"idmebridge/internal/secrets/vaulttest"
)

// TestInstancesShareSignInsAndCodes runs two instances behind one issuer: a sign-in begun on
// one finishes on the other, a code redeemed on one is refused on the other (and revokes the
// first one's access token everywhere), and of 50 concurrent redemptions spread over both
// exactly one succeeds.
func TestInstancesShareSignInsAndCodes(t *testing.T) {
	w := newWorld(t, onAzure(2))
	verifier := w.verifier()

	w.route.Store(0) // authorize on instance 0
	resp := w.get(w.authorizeURL("openid military", "s", "n"))
	resp.Body.Close()
	cb := w.followToCallback(resp.Header.Get("Location"), "veteran")
	w.route.Store(1) // ID.me's redirect lands on instance 1
	got := w.toRP(w.get(cb))
	code := got.params.Get("code")
	if code == "" {
		t.Fatalf("callback on the other instance: %v", got.params)
	}
	w.route.Store(0) // B2C redeems on instance 0
	tok, err := w.redeem(code)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := verifier.Verify(w.rpCtx, tok.Extra("id_token").(string)); err != nil {
		t.Fatal(err)
	}
	w.route.Store(1)
	if _, err := w.redeem(code); err == nil {
		t.Fatal("a code redeemed on instance 0 was redeemed again on instance 1")
	}
	w.route.Store(0)
	if got := w.userinfo(tok.AccessToken); got.status != http.StatusUnauthorized {
		t.Fatalf("after a replay on the other instance, userinfo answered %d, want 401", got.status)
	}

	w.route.Store(-1) // round robin
	code = w.codeFor("service_member")
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for range 50 {
		wg.Go(func() {
			status, _ := w.postForm("/token", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {rpRedirectURI},
				"client_id": {rpClientID}, "client_secret": {rpClientSecret}}, "", "")
			mu.Lock()
			statuses[status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if statuses[http.StatusOK] != 1 || statuses[http.StatusBadRequest] != 49 {
		t.Fatalf("50 concurrent redemptions over two instances: %v, want one 200 and 49 400", statuses)
	}
}

// TestKeyVaultDownAtStart: the handler answers at once, 503 with a reason until the secrets
// have loaded, then serves; /healthz answers throughout.
func TestKeyVaultDownAtStart(t *testing.T) {
	w := newWorld(t, onAzure(1))
	// Build a fresh instance against a vault that is down.
	w.vault.SetDown(true)
	b, err := New(t.Context(), Parts{
		Config: loadConfig(t, map[string]string{
			"BRIDGE_ISSUER": w.issuer, "IDME_CLIENT_ID": idmeClientID, "IDME_BASE_URL": w.sim.URL,
			"BRIDGE_CLIENTS":       `[{"client_id":"b2c-contoso","secret_name":"rp-secret","redirect_uris":["` + rpRedirectURI + `"],"idme_scopes":["military"]}]`,
			"BRIDGE_KEY_VAULT_URL": "https://fake-vault.vault.azure.net/", "BRIDGE_STORE": "memory",
		}),
		Credential: vaulttest.Credential(), KeyVaultTransport: w.vault.Transport(),
	})
	if err != nil {
		t.Fatal(err)
	}
	go b.Run(t.Context())
	h := b.Handler()
	status := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Code, rec.Body.String()
	}
	if code, body := status("/.well-known/openid-configuration"); code != http.StatusServiceUnavailable || !strings.Contains(body, "Key Vault") {
		t.Fatalf("discovery while the vault is down: %d %s", code, body)
	}
	if code, _ := status("/healthz"); code != http.StatusOK {
		t.Fatalf("healthz while starting: %d", code)
	}
	w.vault.SetDown(false)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if code, _ := status("/.well-known/openid-configuration"); code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("still not serving 10s after the vault came back")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code, _ := status("/.well-known/jwks.json"); code != http.StatusOK {
		t.Fatalf("JWKS after the vault came back: %d", code)
	}
}

// TestKeyVaultDownLater: with the vault unreachable after start, sign-ins keep working on the
// cached secrets.
func TestKeyVaultDownLater(t *testing.T) {
	w := newWorld(t, onAzure(1))
	w.vault.SetDown(true)
	calls := w.vault.Calls()
	time.Sleep(2500 * time.Millisecond) // at least two refresh rounds (1s) fail
	if w.vault.Calls() <= calls {
		t.Fatal("no refresh was attempted while the vault was down")
	}
	tok, err := w.redeem(w.codeFor("veteran"))
	if err != nil {
		t.Fatalf("sign-in with the vault down: %v", err)
	}
	if tok.Extra("id_token") == nil {
		t.Fatal("no id_token")
	}
}

// TestBlobDownFailsClosed: with storage unreachable, the token endpoint refuses with an OAuth
// error instead of issuing tokens it cannot make single-use.
func TestBlobDownFailsClosed(t *testing.T) {
	w := newWorld(t, onAzure(1))
	code := w.codeFor("veteran")
	w.blobs.setDown(true)
	status, body := w.postForm("/token", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {rpRedirectURI},
		"client_id": {rpClientID}, "client_secret": {rpClientSecret}}, "", "")
	var e map[string]string
	_ = json.Unmarshal([]byte(body), &e)
	if status != http.StatusServiceUnavailable || e["error"] != "temporarily_unavailable" || strings.Contains(body, "id_token") {
		t.Fatalf("token with storage down: %d %s", status, body)
	}
	w.blobs.setDown(false)
	if _, err := w.redeem(code); err != nil {
		t.Fatalf("the code should still be good once storage is back: %v", err)
	}
}

// TestRotationThroughKeyVault adds a key by storing a new version of the key set secret: it is
// published at once but signs only from its start; tokens signed before remain verifiable.
func TestRotationThroughKeyVault(t *testing.T) {
	w := newWorld(t, onAzure(1))
	oldSet, _ := keys.Parse([]byte(testKeySet(t)))
	oldKid := oldSet.Keys()[0].KeyID
	tok, err := w.redeem(w.codeFor("veteran"))
	if err != nil {
		t.Fatal(err)
	}
	oldToken := tok.Extra("id_token").(string)

	lead := 48 * time.Hour
	next, newKid, err := keys.AddKey([]byte(testKeySet(t)), w.clock.Now().Add(lead), w.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	w.vault.Set("bridge-signing-keys", string(next))
	waitFor(t, 5*time.Second, "the new key in the JWKS", func() bool { return strings.Contains(w.jwks(), newKid) })
	if kid := w.signedKid(); kid != oldKid {
		t.Fatalf("before its start the new key signed (kid %s)", kid)
	}
	w.clock.Advance(lead)
	if kid := w.signedKid(); kid != newKid {
		t.Fatalf("after its start tokens are signed by %s, want %s", kid, newKid)
	}
	// B2C, holding the JWKS, still accepts the token from before the switch.
	p, err := oidc.NewProvider(w.rpCtx, w.issuer)
	if err != nil {
		t.Fatal(err)
	}
	v := p.Verifier(&oidc.Config{ClientID: rpClientID, SkipExpiryCheck: true})
	if _, err := v.Verify(w.rpCtx, oldToken); err != nil {
		t.Fatalf("token signed before the rotation no longer verifies: %v", err)
	}
}

func (w *world) signedKid() string {
	w.t.Helper()
	tok, err := w.redeem(w.codeFor("veteran"))
	if err != nil {
		w.t.Fatal(err)
	}
	msg, err := jws.Parse([]byte(tok.Extra("id_token").(string)))
	if err != nil {
		w.t.Fatal(err)
	}
	return msg.Signatures()[0].ProtectedHeaders().KeyID()
}

func (w *world) jwks() string {
	w.t.Helper()
	resp, err := w.bridge.Client().Get(w.issuer + "/.well-known/jwks.json")
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", limit, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestVerificationRecords: with records on, a completed verification leaves one record in Blob
// Storage, without the full birth date.
func TestVerificationRecords(t *testing.T) {
	w := newWorld(t, func(s *worldSetup) { s.env["BRIDGE_VERIFICATION_RECORDS"] = "true" }, onAzure(1))
	got := w.signIn(w.authorizeURL("openid "+ial2Scope, "s", "n"), "ial2")
	if got.params.Get("code") == "" {
		t.Fatalf("sign-in: %v", got.params)
	}
	client, err := w.instances[0].blobClient(Parts{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	waitFor(t, 5*time.Second, "a verification record", func() bool {
		names = nil
		pager := client.NewListBlobsFlatPager("idme-verifications", nil)
		for pager.More() {
			page, err := pager.NextPage(t.Context())
			if err != nil {
				return false
			}
			for _, b := range page.Segment.BlobItems {
				names = append(names, *b.Name)
			}
		}
		return len(names) == 1
	})
	if !strings.HasPrefix(names[0], "6b5a4c3d2e1f4a0b9c8d7e6f5a4b3c2d/") {
		t.Fatalf("record name %q is not under the ID.me uuid", names[0])
	}
	resp, err := client.DownloadStream(t.Context(), "idme-verifications", names[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"groups":["identity"]`) || strings.Contains(string(body), "1985-03-14") {
		t.Fatalf("record = %s", body)
	}
}

// TestDeletedSecretStopsServing: deleting a client secret in Key Vault (how a leaked one is
// revoked) makes the bridge refuse that secret after the next refresh.
func TestDeletedSecretStopsServing(t *testing.T) {
	w := newWorld(t, onAzure(1))
	if _, err := w.redeem(w.codeFor("veteran")); err != nil {
		t.Fatal(err)
	}
	code := w.codeFor("veteran")
	w.vault.Delete("rp-secret")
	waitFor(t, 5*time.Second, "the deleted secret to stop working", func() bool {
		status, _ := w.postForm("/token", url.Values{"grant_type": {"authorization_code"}, "code": {"probe"}, "redirect_uri": {rpRedirectURI},
			"client_id": {rpClientID}, "client_secret": {rpClientSecret}}, "", "")
		return status == http.StatusServiceUnavailable
	})
	if _, err := w.redeem(code); err == nil {
		t.Fatal("a token was issued to a client whose secret was deleted")
	}
}

// TestNoSignerDoesNotBurnCodes: when the key set in force cannot sign (here: its only key
// starts tomorrow), the token endpoint refuses with 503 before it marks the code used, so the
// client's retry succeeds once a usable set is back.
func TestNoSignerDoesNotBurnCodes(t *testing.T) {
	w := newWorld(t, onAzure(1))
	code := w.codeFor("veteran")
	later, _, err := keys.AddKey([]byte(testKeySet(t)), w.clock.Now().Add(24*time.Hour), w.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	var rs struct {
		Keys []json.RawMessage `json:"keys"`
	}
	_ = json.Unmarshal(later, &rs)
	onlyLater, _ := json.Marshal(map[string]any{"keys": rs.Keys[1:]})
	oldSet, _ := keys.Parse([]byte(testKeySet(t)))
	oldKid := oldSet.Keys()[0].KeyID
	w.vault.Set("bridge-signing-keys", string(onlyLater))
	waitFor(t, 5*time.Second, "the unusable key set to be in force", func() bool { return !strings.Contains(w.jwks(), oldKid) })
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {rpRedirectURI},
		"client_id": {rpClientID}, "client_secret": {rpClientSecret}}
	if status, body := w.postForm("/token", form, "", ""); status != http.StatusServiceUnavailable {
		t.Fatalf("token with no usable signer: %d %s", status, body)
	}
	w.vault.Set("bridge-signing-keys", testKeySet(t))
	waitFor(t, 5*time.Second, "the usable key set to be back", func() bool { return strings.Contains(w.jwks(), oldKid) })
	if status, body := w.postForm("/token", form, "", ""); status != http.StatusOK {
		t.Fatalf("retry after the key set came back: %d %s", status, body)
	}
}
