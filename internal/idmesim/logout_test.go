package idmesim

import (
	"net/http"
	"net/url"
	"testing"
)

func TestLogout(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name         string
		q            url.Values
		wantRedirect string // "" means an error page
	}{
		{"registered redirect", url.Values{"client_id": {testClientID}, "redirect_uri": {testLoggedOut}}, testLoggedOut},
		{"any registered URI of the client", url.Values{"client_id": {testClientID}, "redirect_uri": {testRedirect}}, testRedirect},
		{"missing client_id", url.Values{"redirect_uri": {testLoggedOut}}, ""},
		{"missing redirect_uri", url.Values{"client_id": {testClientID}}, ""},
		{"unknown client", url.Values{"client_id": {"nope"}, "redirect_uri": {testLoggedOut}}, ""},
		{"unregistered redirect", url.Values{"client_id": {testClientID}, "redirect_uri": {"https://evil.example.test/"}}, ""},
		{"another client's redirect", url.Values{"client_id": {testClientID}, "redirect_uri": {otherRedirect}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, _ := h.get(t, "/oauth/logout", tt.q, nil)
			if tt.wantRedirect == "" {
				if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
					t.Fatalf("status %d Location %q, want 400 page", resp.StatusCode, resp.Header.Get("Location"))
				}
				checkPageHeaders(t, resp)
				return
			}
			if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != tt.wantRedirect {
				t.Fatalf("status %d Location %q, want 302 %s", resp.StatusCode, resp.Header.Get("Location"), tt.wantRedirect)
			}
		})
	}
}
