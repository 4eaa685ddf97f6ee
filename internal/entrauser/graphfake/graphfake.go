// Package graphfake stands in for Microsoft Graph's users endpoint (GET /v1.0/users/{id}) on
// local runs and in tests, so the External ID extension can be exercised without a tenant.
package graphfake

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"

	"idmebridge/internal/entrauser"
)

// Graph holds users by object id. It accepts any bearer token: it is never exposed beyond
// loopback.
type Graph struct {
	mu    sync.Mutex
	users map[string][]entrauser.Identity
	calls int
}

// New returns an empty Graph.
func New() *Graph { return &Graph{users: map[string][]entrauser.Identity{}} }

// AddUser records a user and its identities, replacing any earlier entry.
func (g *Graph) AddUser(id string, identities ...entrauser.Identity) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.users[strings.ToLower(id)] = identities
}

// Calls counts user lookups served.
func (g *Graph) Calls() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.calls
}

// ServeHTTP answers GET /v1.0/users/{id} as Graph does (404 with an error object otherwise).
func (g *Graph) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	id, ok := strings.CutPrefix(r.URL.Path, "/v1.0/users/")
	if r.Method != http.MethodGet || !ok || !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":{"code":"InvalidAuthenticationToken","message":"Access token is empty."}}`))
		return
	}
	g.mu.Lock()
	g.calls++
	ids, found := g.users[strings.ToLower(id)]
	g.mu.Unlock()
	if !found {
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"error":{"code":"Request_ResourceNotFound","message":"Resource does not exist."}}`))
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"id": id, "identities": ids})
}
