package app

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"idmebridge/internal/idmesim"
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
	// ID.me on loopback: the bridge fetches its metadata and keys before it is ready.
	sim := httptest.NewUnstartedServer(nil)
	simulator, err := idmesim.New(idmesim.Options{BaseURL: "http://" + sim.Listener.Addr().String(),
		Clients: []idmesim.Client{{ID: "idme-app", Secret: "s", RedirectURIs: []string{"http://localhost:7071/callback"}}}})
	if err != nil {
		t.Fatal(err)
	}
	sim.Config.Handler = simulator
	sim.Start()
	t.Cleanup(sim.Close)
	cfg := loadConfig(t, map[string]string{
		"BRIDGE_ISSUER": "http://localhost:7071", "IDME_CLIENT_ID": "idme-app", "IDME_BASE_URL": sim.URL,
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

// upstreamLog stands for a distant ID.me in front of the simulator: it delays every answer by
// one round trip, and by one more on a new connection (the TCP handshake), and records the
// requests the bridge makes (not the browser's) with whether each opened a connection.
type upstreamLog struct {
	rtt   time.Duration
	mu    sync.Mutex
	seen  map[string]bool // remote addresses that have sent a request
	trips []upstreamTrip
}

type upstreamTrip struct {
	path    string
	newConn bool
	at      time.Time
}

// bridgePaths are the simulator's endpoints the bridge calls; the browser calls the others.
var bridgePaths = map[string]bool{
	"/oidc/.well-known/openid-configuration": true, "/oidc/.well-known/jwks": true,
	"/oauth/token": true, "/api/public/v3/attributes.json": true,
}

func newUpstreamLog(rtt time.Duration) *upstreamLog {
	return &upstreamLog{rtt: rtt, seen: map[string]bool{}}
}

// answer is a simFault that delays and records, then lets the simulator answer.
func (l *upstreamLog) answer(_ http.ResponseWriter, r *http.Request) bool {
	at := time.Now()
	l.mu.Lock()
	fresh := !l.seen[r.RemoteAddr]
	l.seen[r.RemoteAddr] = true
	if bridgePaths[r.URL.Path] {
		l.trips = append(l.trips, upstreamTrip{path: r.URL.Path, newConn: fresh, at: at})
	}
	l.mu.Unlock()
	delay := l.rtt
	if fresh {
		delay += l.rtt
	}
	time.Sleep(delay)
	return false
}

// take returns the bridge's requests since the last take.
func (l *upstreamLog) take() []upstreamTrip {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := l.trips
	l.trips = nil
	return t
}

// shape is what a sign-in asked of ID.me: the paths in order, and how many connections it opened.
func shape(trips []upstreamTrip) string {
	var paths []string
	conns := 0
	for _, t := range trips {
		paths = append(paths, t.path)
		if t.newConn {
			conns++
		}
	}
	return fmt.Sprintf("%v over %d new connection(s)", paths, conns)
}

// TestColdStartShape starts a bridge whose secrets are in a Key Vault answering after 30 ms and
// whose ID.me answers after 40 ms, and checks the shape of its start: every secret read once, all
// in one parallel round, ID.me's metadata and keys fetched beside them; then that the first
// sign-in asks ID.me for exactly what the tenth does, over the connection opened at start. It
// logs the times (go test -run TestColdStartShape -v ./internal/app).
func TestColdStartShape(t *testing.T) {
	const vaultRTT, idmeRTT = 30 * time.Millisecond, 40 * time.Millisecond
	up := newUpstreamLog(idmeRTT)
	w := newWorld(t, func(s *worldSetup) {
		s.keyVault, s.vaultDelay, s.simFault = true, vaultRTT, up.answer
		s.env["BRIDGE_STORE"] = "memory"
	})
	if w.ready.IsZero() {
		t.Fatal("the bridge did not get ready")
	}

	// One round of vault reads: each secret read once, every read started before the first
	// answer came (one read at a time would start each after the last one ended).
	reads := w.vault.Reads()
	names := map[string]bool{}
	var lastStart, firstEnd, lastEnd time.Time
	for i, r := range reads {
		names[r.Name] = true
		if i == 0 || r.Start.After(lastStart) {
			lastStart = r.Start
		}
		if i == 0 || r.End.Before(firstEnd) {
			firstEnd = r.End
		}
		if r.End.After(lastEnd) {
			lastEnd = r.End
		}
	}
	if len(reads) < 4 || len(names) != len(reads) {
		t.Fatalf("the vault answered %d reads of %d secrets, want one read of each", len(reads), len(names))
	}
	if !lastStart.Before(firstEnd) {
		t.Fatalf("vault reads did not overlap: the last started %v after the first answer", lastStart.Sub(firstEnd))
	}
	// ID.me's metadata and keys were fetched at start, beside the vault reads rather than after.
	start := up.take()
	if got, want := shape(start), shape([]upstreamTrip{{path: "/oidc/.well-known/openid-configuration", newConn: true}, {path: "/oidc/.well-known/jwks"}}); got != want {
		t.Fatalf("at start the bridge asked ID.me for %s, want %s", got, want)
	}
	if !start[0].at.Before(lastEnd) {
		t.Fatalf("ID.me discovery began %v after the vault reads ended: it waited for them", start[0].at.Sub(lastEnd))
	}

	vaultCalls := w.vault.Calls()
	var trips [][]upstreamTrip
	var callback, total []time.Duration
	for i := range 10 {
		state, nonce := fmt.Sprintf("s%d", i), fmt.Sprintf("n%d", i)
		began := time.Now()
		resp := w.get(w.authorizeURL("openid military", state, nonce))
		resp.Body.Close()
		cb := w.followToCallback(resp.Header.Get("Location"), "veteran")
		up.take() // nothing of the bridge's happens before the callback
		cbBegan := time.Now()
		got := w.toRP(w.get(cb))
		callback = append(callback, time.Since(cbBegan))
		trips = append(trips, up.take())
		code := got.params.Get("code")
		if code == "" || got.params.Get("state") != state {
			t.Fatalf("sign-in %d: the relying party received %v", i+1, got.params)
		}
		if _, err := w.redeem(code); err != nil {
			t.Fatalf("sign-in %d: redeeming the code: %v", i+1, err)
		}
		total = append(total, time.Since(began))
	}
	want := shape([]upstreamTrip{{path: "/oauth/token"}, {path: "/api/public/v3/attributes.json"}})
	if first, tenth := shape(trips[0]), shape(trips[9]); first != tenth || first != want {
		t.Fatalf("the first sign-in asked ID.me for %s, the tenth for %s; want both %s", first, tenth, want)
	}
	if n := w.vault.Calls(); n != vaultCalls {
		t.Fatalf("sign-ins read the vault %d times, want none (secrets are served from memory)", n-vaultCalls)
	}
	t.Logf("vault %v and ID.me %v per round trip, %d secrets: assembled to ready %v (vault round %v, ID.me metadata and keys %v)",
		vaultRTT, idmeRTT, len(reads), w.ready.Sub(w.started).Round(time.Millisecond), lastEnd.Sub(reads[0].Start).Round(time.Millisecond),
		w.ready.Sub(start[0].at).Round(time.Millisecond))
	t.Logf("callback (token exchange and attributes at ID.me): first %v, tenth %v; whole sign-in with the code redeemed: first %v, tenth %v",
		callback[0].Round(100*time.Microsecond), callback[9].Round(100*time.Microsecond), total[0].Round(100*time.Microsecond), total[9].Round(100*time.Microsecond))
}
