package app

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// withEnv sets one setting of the world's bridge.
func withEnv(name, value string) worldOption {
	return func(s *worldSetup) { s.env[name] = value }
}

// idmeTimeout is the IDME_TIMEOUT of the fault tests: every call to ID.me gives up after it.
const idmeTimeout = time.Second

// TestIDmeFaults injects one fault per row at the ID.me simulator and checks the sign-in ends
// at the relying party with the documented OAuth error, well within the configured timeout.
func TestIDmeFaults(t *testing.T) {
	slow := func(d time.Duration) simFault {
		return func(_ http.ResponseWriter, r *http.Request) bool {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
			}
			return false
		}
	}
	status := func(code int, body string) simFault {
		return func(w http.ResponseWriter, _ *http.Request) bool {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(code)
			fmt.Fprint(w, body)
			return true
		}
	}
	// dropMidResponse sends the headers and part of a body, then cuts the connection.
	dropMidResponse := func(w http.ResponseWriter, _ *http.Request) bool {
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(err)
		}
		fmt.Fprint(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"attributes\":[{\"handle\":")
		buf.Flush()
		conn.Close()
		return true
	}
	on := func(path string, f simFault) simFault {
		return func(w http.ResponseWriter, r *http.Request) bool {
			if strings.HasSuffix(r.URL.Path, path) {
				return f(w, r)
			}
			return false
		}
	}
	const (
		token = "/oauth/token"
		data  = "/api/public/v3/attributes.json"
		disco = "/.well-known/openid-configuration"
		jwks  = "/.well-known/jwks"
	)
	tests := []struct {
		name  string
		fault simFault
		want  string
	}{
		{"token endpoint slower than the timeout", on(token, slow(5*idmeTimeout)), "temporarily_unavailable"},
		{"token endpoint 502", on(token, status(502, "<html>bad gateway</html>")), "temporarily_unavailable"},
		{"token endpoint 200 with garbage", on(token, status(200, "not json")), "temporarily_unavailable"},
		{"token endpoint invalid_grant", on(token, status(400, `{"error":"invalid_grant"}`)), "access_denied"},
		{"token endpoint connection dropped mid-response", on(token, dropMidResponse), "temporarily_unavailable"},
		{"attributes slower than the timeout", on(data, slow(5*idmeTimeout)), "temporarily_unavailable"},
		{"attributes 500", on(data, status(500, "oops")), "temporarily_unavailable"},
		{"attributes malformed", on(data, status(200, `{"attributes":{"not":"an array"}}`)), "temporarily_unavailable"},
		{"attributes connection dropped mid-response", on(data, dropMidResponse), "temporarily_unavailable"},
		{"discovery unreachable", on(disco, status(503, "down")), "temporarily_unavailable"},
		{"JWKS unreachable", on(jwks, status(503, "down")), "temporarily_unavailable"},
		{"JWKS slower than the timeout", on(jwks, slow(5*idmeTimeout)), "temporarily_unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// In force from the start, so a fault in discovery or the key set also spoils the
			// bridge's start-up fetch, and the sign-in meets it again.
			w := newWorld(t, withEnv("IDME_TIMEOUT", idmeTimeout.String()), func(s *worldSetup) { s.simFault = tt.fault })
			resp := w.get(w.authorizeURL("openid military", "s", "n"))
			resp.Body.Close()
			cb := w.followToCallback(resp.Header.Get("Location"), "veteran")
			start := time.Now()
			got := w.toRP(w.get(cb))
			elapsed := time.Since(start)
			if got.params.Get("error") != tt.want || got.params.Get("code") != "" || got.params.Get("state") != "s" {
				t.Fatalf("relying party received %v, want error %s", got.params, tt.want)
			}
			// Discovery, JWKS, the exchange and the data call each have the timeout; a fault
			// in one of them costs at most one timeout, plus the others' normal time.
			if elapsed > 2*idmeTimeout+time.Second {
				t.Fatalf("the callback took %v with IDME_TIMEOUT %v", elapsed, idmeTimeout)
			}
		})
	}
}
