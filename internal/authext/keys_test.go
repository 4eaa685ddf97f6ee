package authext

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"idmebridge/internal/authext/faketenant"
)

// countingTenant wraps the rig's stand-in tenant so its key set fetches are counted and can
// be made to fail.
type countingTenant struct {
	next    http.Handler
	fetches atomic.Int32
	down    atomic.Bool
}

func (c *countingTenant) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == faketenant.KeysPath {
		c.fetches.Add(1)
		if c.down.Load() {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
	}
	c.next.ServeHTTP(w, r)
}

func countKeyFetches(r *rig) *countingTenant {
	c := &countingTenant{next: r.tenantSrv.Config.Handler}
	r.tenantSrv.Config.Handler = c
	return c
}

// TestForgedTokensDoNotDriveKeyFetches: tokens no tenant key verifies are refused without
// making the bridge fetch the tenant's keys for each of them.
func TestForgedTokensDoNotDriveKeyFetches(t *testing.T) {
	r := newRig(t)
	c := countKeyFetches(r)
	body := sample(t, "token-issuance-start.json")
	if status, _ := r.call(r.token(faketenant.Token{}), body); status != http.StatusOK {
		t.Fatalf("good token: status %d", status)
	}
	for range 10 {
		if status, _ := r.call(r.token(faketenant.Token{OtherKey: true}), body); status != http.StatusUnauthorized {
			t.Fatalf("forged token: status %d", status)
		}
	}
	if n := c.fetches.Load(); n > 2 {
		t.Errorf("the tenant's keys were fetched %d times for 1 good and 10 forged tokens", n)
	}
}

// TestKeySetUnreachable: discovery worked but the key set cannot be read: no claims, and not
// a 401 (External ID would fail the sign-in).
func TestKeySetUnreachable(t *testing.T) {
	r := newRig(t)
	c := countKeyFetches(r)
	c.down.Store(true)
	status, body := r.call(r.token(faketenant.Token{}), sample(t, "token-issuance-start.json"))
	if status != http.StatusOK {
		t.Fatalf("status %d (%v)", status, body)
	}
	if claims := checkResponseSchema(t, body); len(claims) != 0 {
		t.Errorf("claims %v without checking the caller", claims)
	}
}

// TestKeyRotation: a token signed with a key the tenant published after the bridge read its
// keys is accepted once the refetch interval has passed.
func TestKeyRotation(t *testing.T) {
	r := newRig(t)
	now := time.Now()
	r.ext.auth.now = func() time.Time { return now }
	body := sample(t, "token-issuance-start.json")
	if status, _ := r.call(r.token(faketenant.Token{}), body); status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	if err := r.tenant.Rotate(); err != nil {
		t.Fatal(err)
	}
	now = now.Add(keyRefetchInterval + time.Second)
	if status, resp := r.call(r.token(faketenant.Token{}), body); status != http.StatusOK {
		t.Fatalf("after rotation: status %d (%v)", status, resp)
	}
}

// TestDiscoveryDownIsNotAskedPerCall: while the tenant's discovery fails, calls (checked or
// not) do not each ask for it again.
func TestDiscoveryDownIsNotAskedPerCall(t *testing.T) {
	r := newRig(t)
	var asked atomic.Int32
	r.tenantSrv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		asked.Add(1)
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
	})
	body := sample(t, "token-issuance-start.json")
	for range 10 {
		if status, _ := r.call("forged", body); status != http.StatusOK {
			t.Fatalf("status %d", status)
		}
	}
	if n := asked.Load(); n != 1 {
		t.Errorf("discovery asked %d times for 10 calls", n)
	}
}

// TestFailureReasonsNameNoUser: when the record store fails, the logged reason says how, but
// not the request URL, which holds the user's ID.me uuid.
func TestFailureReasonsNameNoUser(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"transport", &url.Error{Op: "Get", URL: "https://acct.blob.core.windows.net/idme-verifications?prefix=" + veteranSub + "/", Err: context.DeadlineExceeded}, "deadline exceeded"},
		{"storage answer", fmt.Errorf("list verification records: %w", &azcore.ResponseError{StatusCode: 403, ErrorCode: "AuthorizationPermissionMismatch", RawResponse: &http.Response{
			StatusCode: 403, Request: &http.Request{Method: http.MethodGet, URL: &url.URL{Scheme: "https", Host: "acct.blob.core.windows.net", RawQuery: "prefix=" + veteranSub}}}}), "HTTP 403 AuthorizationPermissionMismatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			var logged bytes.Buffer
			r.ext.log = slog.New(slog.NewTextHandler(&logged, nil))
			r.records.err = tt.err
			if status, _ := r.call(r.token(faketenant.Token{}), eventFor(t, memberUser)); status != http.StatusOK {
				t.Fatalf("status %d", status)
			}
			if out := logged.String(); strings.Contains(out, veteranSub) || strings.Contains(out, memberUser) || !strings.Contains(out, tt.want) {
				t.Errorf("log %q: want %q and no identifier of the user", out, tt.want)
			}
		})
	}
}

// TestSlowDiscoveryInProgressKeepsTheBudget: a call that arrives while a longer discovery
// (Warm's, 5 s) hangs answers without claims within its own budget instead of waiting for it.
func TestSlowDiscoveryInProgressKeepsTheBudget(t *testing.T) {
	r := newRig(t)
	release := make(chan struct{})
	defer close(release)
	r.tenantSrv.Config.Handler = http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release })
	warm, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	go func() { _, _ = r.ext.auth.keys(warm) }()
	time.Sleep(50 * time.Millisecond) // the discovery above is under way
	start := time.Now()
	status, body := r.call(r.token(faketenant.Token{}), eventFor(t, memberUser))
	elapsed := time.Since(start)
	if status != http.StatusOK || len(checkResponseSchema(t, body)) != 0 {
		t.Fatalf("status %d, body %v: want an answer without claims", status, body)
	}
	if elapsed > r.ext.cfg.Budget+300*time.Millisecond {
		t.Errorf("answered in %v, over the %v budget", elapsed, r.ext.cfg.Budget)
	}
}
