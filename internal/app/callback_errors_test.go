package app

import (
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"
)

// startAtIDme begins a sign-in at the bridge and returns the URL of the simulator's authorize
// page and the sealed state the bridge put in it.
func (w *world) startAtIDme(state string) (idmeURL, sealed string) {
	w.t.Helper()
	resp := w.get(w.authorizeURL("openid military", state, "n"))
	resp.Body.Close()
	idmeURL = resp.Header.Get("Location")
	u, err := url.Parse(idmeURL)
	if err != nil || u.Query().Get("state") == "" {
		w.t.Fatalf("no ID.me redirect: %d %q", resp.StatusCode, idmeURL)
	}
	return idmeURL, u.Query().Get("state")
}

// TestCallbackRejects checks what happens when the answer from ID.me, or the browser bringing
// it, is not what the bridge sent out.
func TestCallbackRejects(t *testing.T) {
	tests := []struct {
		name      string
		callback  func(w *world) string // the callback URL the browser brings
		before    func(w *world)
		wantPage  int
		wantError string
	}{
		{"no state, no error", func(w *world) string { return w.issuer + "/callback?code=abc" }, nil, 400, ""},
		{"error without state", func(w *world) string { return w.issuer + "/callback?error=access_denied" }, nil, 400, ""},
		{"tampered state", func(w *world) string {
			_, sealed := w.startAtIDme("s")
			b := []byte(sealed)
			b[10] ^= 'A' ^ 'B'
			return w.issuer + "/callback?code=abc&state=" + string(b)
		}, nil, 400, ""},
		{"state from another deployment", func(w *world) string {
			return w.issuer + "/callback?code=abc&state=" + strings.Repeat("A", 120)
		}, nil, 400, ""},
		{"duplicated code", func(w *world) string {
			_, sealed := w.startAtIDme("s")
			return w.issuer + "/callback?code=a&code=b&state=" + sealed
		}, nil, 400, ""},
		{"missing cookie (another browser)", func(w *world) string {
			idmeURL, _ := w.startAtIDme("s")
			cb := w.followToCallback(idmeURL, "veteran")
			w.browser.Jar, _ = cookiejar.New(nil)
			return cb
		}, nil, 0, "access_denied"},
		{"expired state", func(w *world) string {
			idmeURL, _ := w.startAtIDme("s")
			cb := w.followToCallback(idmeURL, "veteran")
			w.clock.Advance(31 * time.Minute)
			return cb
		}, nil, 0, "access_denied"},
		{"ID.me error invalid_scope", func(w *world) string {
			_, sealed := w.startAtIDme("s")
			return w.issuer + "/callback?error=invalid_scope&error_description=nope&state=" + sealed
		}, nil, 0, "invalid_scope"},
		{"ID.me error invalid_client", func(w *world) string {
			_, sealed := w.startAtIDme("s")
			return w.issuer + "/callback?error=invalid_client&state=" + sealed
		}, nil, 0, "server_error"},
		{"ID.me error with arbitrary text", func(w *world) string {
			_, sealed := w.startAtIDme("s")
			return w.issuer + "/callback?error=%3Cb%3Ecall+us%3C%2Fb%3E&state=" + sealed
		}, nil, 0, "server_error"},
		{"no code, no error", func(w *world) string {
			_, sealed := w.startAtIDme("s")
			return w.issuer + "/callback?state=" + sealed
		}, nil, 0, "server_error"},
		{"code ID.me does not know", func(w *world) string {
			_, sealed := w.startAtIDme("s")
			return w.issuer + "/callback?code=forged&state=" + sealed
		}, nil, 0, "access_denied"},
		{"ID.me unreachable", func(w *world) string {
			idmeURL, _ := w.startAtIDme("s")
			cb := w.followToCallback(idmeURL, "veteran")
			w.sim.Close()
			return cb
		}, nil, 0, "temporarily_unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			resp := w.get(tt.callback(w))
			if tt.wantPage != 0 {
				if resp.StatusCode != tt.wantPage || resp.Header.Get("Location") != "" {
					t.Fatalf("status %d location %q, want error page %d", resp.StatusCode, resp.Header.Get("Location"), tt.wantPage)
				}
				return
			}
			got := w.toRP(resp)
			if got.params.Get("error") != tt.wantError || got.params.Get("code") != "" || got.params.Get("state") != "s" {
				t.Fatalf("returned %v, want error=%s with state and no code", got.params, tt.wantError)
			}
			if got.params.Get("error_description") == "" {
				t.Error("no error_description")
			}
		})
	}
}

// TestCallbackStateIsUsedOnce replays ID.me's redirect, and the same state with other codes:
// the bridge presents a code to ID.me once per sign-in, never twice.
func TestCallbackStateIsUsedOnce(t *testing.T) {
	w := newWorld(t)
	idmeURL, sealed := w.startAtIDme("s")
	cb := w.followToCallback(idmeURL, "veteran")
	first := w.toRP(w.get(cb))
	if first.params.Get("code") == "" {
		t.Fatalf("first callback: %v", first.params)
	}
	replays := []string{cb, w.issuer + "/callback?code=other&state=" + sealed, w.issuer + "/callback?code=third&state=" + sealed}
	for _, u := range replays {
		got := w.toRP(w.get(u))
		if got.params.Get("code") != "" || got.params.Get("error") != "access_denied" {
			t.Fatalf("replayed callback returned %v, want access_denied", got.params)
		}
	}
	if n := w.idmeTokenCalls.Load(); n != 1 {
		t.Fatalf("the bridge made %d token requests at ID.me, want 1", n)
	}
}
