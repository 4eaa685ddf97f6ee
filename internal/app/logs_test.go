package app

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"idmebridge/internal/idmesim"
)

// lockedBuffer collects log lines from concurrent handlers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestLogsCarryNoSecretsOrPersonalData runs whole flows (sign-ins, token, userinfo, a wrong
// secret, a replayed code, storage outages at the callback and the token endpoint, failing
// verification-record writes whose blob names hold the ID.me uuid) at debug level, then
// checks no secret, token, code or user attribute appears in any log line.
func TestLogsCarryNoSecretsOrPersonalData(t *testing.T) {
	logs := &lockedBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	w := newWorld(t, onAzure(1), func(s *worldSetup) {
		s.logger = logger
		s.env["BRIDGE_VERIFICATION_RECORDS"] = "true"
	})
	// Remove the records' container once the bridge has made it: every record write then
	// fails, and Blob Storage's error names the blob, which is the user's ID.me uuid.
	client, err := w.instances[0].blobClient(Parts{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the verification container", func() bool {
		_, err := client.ServiceClient().NewContainerClient("idme-verifications").GetProperties(t.Context(), nil)
		return err == nil
	})
	if _, err := client.DeleteContainer(t.Context(), "idme-verifications", nil); err != nil {
		t.Fatal(err)
	}
	markers := []string{rpClientSecret, idmeSecret, "other-secret-value", "q1KMkq9E8XbB3fJ2+eUQ5cTnxv5QnqX0lJf1ZyWkzX8"}
	var keySet struct {
		Keys []map[string]any `json:"keys"`
	}
	_ = json.Unmarshal([]byte(testKeySet(t)), &keySet)
	for _, k := range keySet.Keys {
		for _, part := range []string{"d", "p", "q", "dp", "dq", "qi"} {
			if v, _ := k[part].(string); v != "" {
				markers = append(markers, v[:24])
			}
		}
	}
	personas := map[string]idmesim.Persona{}
	for _, p := range idmesim.Personas() {
		personas[p.ID] = p
	}
	for _, id := range []string{"veteran", "service_member", "ial2"} {
		p := personas[id]
		markers = append(markers, p.UUID)
		for _, a := range p.Attributes {
			// A flag's "true" or "false" is not personal data, and log lines carry JSON booleans.
			if a.Value != nil && len(*a.Value) >= 4 && *a.Value != "true" && *a.Value != "false" {
				markers = append(markers, *a.Value)
			}
		}
	}

	// Whole sign-ins, userinfo, and verification records that fail to write.
	for _, persona := range []string{"veteran", "service_member"} {
		tok, err := w.redeem(w.codeFor(persona))
		if err != nil {
			t.Fatal(err)
		}
		markers = append(markers, tok.AccessToken, tok.Extra("id_token").(string))
		w.userinfo(tok.AccessToken)
	}
	got := w.signIn(w.authorizeURL("openid "+ial2Scope, "s", "n"), "ial2")
	markers = append(markers, got.params.Get("code"))
	// A wrong secret and a replayed code.
	code := w.codeFor("veteran")
	markers = append(markers, code)
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {rpRedirectURI}, "client_id": {rpClientID}, "client_secret": {"wrong-" + rpClientSecret}}
	w.postForm("/token", form, "", "")
	if _, err := w.redeem(code); err != nil {
		t.Fatal(err)
	}
	w.redeem(code)
	// Storage outages at the callback and at the token endpoint.
	resp := w.get(w.authorizeURL("openid military", "s", "n"))
	resp.Body.Close()
	cb := w.followToCallback(resp.Header.Get("Location"), "veteran")
	code = w.codeFor("veteran")
	markers = append(markers, code)
	w.blobs.setDown(true)
	w.toRP(w.get(cb))
	w.redeem(code)
	w.blobs.setDown(false)
	for _, q := range []string{"code", "state"} {
		u, _ := url.Parse(cb)
		markers = append(markers, u.Query().Get(q))
	}
	waitFor(t, 5*time.Second, "verification record failures to be logged", func() bool {
		return strings.Contains(logs.String(), "verification record not written")
	})

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) < 20 {
		t.Fatalf("only %d log lines: the flows did not run", len(lines))
	}
	for _, line := range lines {
		for _, m := range markers {
			if m != "" && strings.Contains(line, m) {
				t.Errorf("log line carries %.12q...: %s", m, line)
			}
		}
	}
}
