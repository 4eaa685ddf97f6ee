package idmesim

import (
	"strings"
	"testing"
)

func TestNewRejectsBadOptions(t *testing.T) {
	good := Client{ID: "c", Secret: "s", RedirectURIs: []string{"https://rp.example.test/cb"}}
	tests := []struct {
		name    string
		opts    Options
		wantErr string
	}{
		{"empty base", Options{Clients: []Client{good}}, "BaseURL"},
		{"relative base", Options{BaseURL: "/idme", Clients: []Client{good}}, "absolute"},
		{"ftp base", Options{BaseURL: "ftp://127.0.0.1", Clients: []Client{good}}, "absolute"},
		{"base with query", Options{BaseURL: "http://127.0.0.1:1/?a=b", Clients: []Client{good}}, "query"},
		{"no clients", Options{BaseURL: "http://127.0.0.1:1"}, "client"},
		{"client without secret", Options{BaseURL: "http://127.0.0.1:1", Clients: []Client{{ID: "c", RedirectURIs: good.RedirectURIs}}}, "secret"},
		{"client without ID", Options{BaseURL: "http://127.0.0.1:1", Clients: []Client{{Secret: "s", RedirectURIs: good.RedirectURIs}}}, "ID"},
		{"duplicate client", Options{BaseURL: "http://127.0.0.1:1", Clients: []Client{good, good}}, "twice"},
		{"no redirect", Options{BaseURL: "http://127.0.0.1:1", Clients: []Client{{ID: "c", Secret: "s"}}}, "redirect"},
		{"relative redirect", Options{BaseURL: "http://127.0.0.1:1", Clients: []Client{{ID: "c", Secret: "s", RedirectURIs: []string{"/cb"}}}}, "absolute"},
		{"redirect with query", Options{BaseURL: "http://127.0.0.1:1", Clients: []Client{{ID: "c", Secret: "s", RedirectURIs: []string{"https://rp.example.test/cb?tenant=a"}}}}, "query"},
		{"redirect with empty query", Options{BaseURL: "http://127.0.0.1:1", Clients: []Client{{ID: "c", Secret: "s", RedirectURIs: []string{"https://rp.example.test/cb?"}}}}, "query"},
		{"redirect not http", Options{BaseURL: "http://127.0.0.1:1", Clients: []Client{{ID: "c", Secret: "s", RedirectURIs: []string{"ftp://rp.example.test/cb"}}}}, "http(s)"},
		{"redirect with fragment", Options{BaseURL: "http://127.0.0.1:1", Clients: []Client{{ID: "c", Secret: "s", RedirectURIs: []string{"https://rp.example.test/cb#x"}}}}, "fragment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, err := New(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New = %v, %v; want error containing %q", sim, err, tt.wantErr)
			}
		})
	}
}

func TestNewCopiesRedirectURIs(t *testing.T) {
	uris := []string{"https://rp.example.test/cb"}
	sim, err := New(Options{BaseURL: "http://127.0.0.1:1/", Clients: []Client{{ID: "c", Secret: "s", RedirectURIs: uris}}})
	if err != nil {
		t.Fatal(err)
	}
	uris[0] = "https://evil.example.test/cb"
	c, _ := sim.client("c")
	if c.allowsRedirect("https://evil.example.test/cb") || !c.allowsRedirect("https://rp.example.test/cb") {
		t.Fatal("registration follows the caller's slice")
	}
	if sim.Issuer() != "http://127.0.0.1:1/oidc" {
		t.Errorf("Issuer() = %q (trailing slash not trimmed)", sim.Issuer())
	}
}
