package app

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// readiness gathers the conditions the bridge waits for before serving sign-ins. The server
// listens at once (the Functions host gives a handler only seconds to open its port) and
// answers 503 with the reason until every condition holds; /healthz answers throughout.
type readiness struct {
	mu     sync.Mutex
	checks []func() (bool, string)
	ready  atomic.Bool // latched: once ready, stays ready (secrets then serve last-good values)
}

func (r *readiness) add(check func() (bool, string)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.checks = append(r.checks, check)
}

func (r *readiness) state() (bool, string) {
	if r.ready.Load() {
		return true, ""
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.checks {
		if ok, why := c(); !ok {
			return false, why
		}
	}
	r.ready.Store(true)
	return true, ""
}

func (r *readiness) gate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != "/healthz" {
			if ok, why := r.state(); !ok {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Cache-Control", "no-store")
				w.Header().Set("Retry-After", "2")
				w.WriteHeader(http.StatusServiceUnavailable)
				_ = json.NewEncoder(w).Encode(map[string]string{
					"error": "temporarily_unavailable", "error_description": "the bridge is starting: " + why,
				})
				return
			}
		}
		next.ServeHTTP(w, req)
	})
}

// flag is a one-way switch shared between a background task and a readiness check.
type flag struct{ v atomic.Bool }

func (f *flag) set()      { f.v.Store(true) }
func (f *flag) get() bool { return f.v.Load() }

// retryUntil calls f until it succeeds or ctx ends, backing off from 1s to 30s and logging
// each failure.
func retryUntil(ctx context.Context, log *slog.Logger, what string, f func() error) {
	wait := time.Second
	for {
		err := f()
		if err == nil || ctx.Err() != nil {
			return
		}
		log.Error(what+" failed; retrying", "err", err, "retry_in", wait.String())
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(2*wait, 30*time.Second)
	}
}
