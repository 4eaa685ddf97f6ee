package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"idmebridge/internal/config"
	"idmebridge/internal/keys"
	"idmebridge/internal/outcome"
	"idmebridge/internal/seal"
	"idmebridge/internal/secrets"
)

// readiness gathers the conditions the bridge waits for before serving sign-ins. The server
// listens at once (the Functions host gives a handler only seconds to open its port) and
// answers 503 with the reasons until every condition holds; /healthz answers throughout.
type readiness struct {
	mu     sync.Mutex
	checks []func() (bool, string)
	ready  atomic.Bool // latched: once ready, stays ready (secrets then serve last-good values)
	once   sync.Once
	became chan struct{} // closed when ready latches
}

func newReadiness() *readiness { return &readiness{became: make(chan struct{})} }

func (r *readiness) add(check func() (bool, string)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.checks = append(r.checks, check)
}

// state reports readiness and, when not ready, every unmet condition (not only the first), so
// an operator fixes them in one go.
func (r *readiness) state() (bool, string) {
	if r.ready.Load() {
		return true, ""
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var why []string
	for _, c := range r.checks {
		if ok, reason := c(); !ok {
			why = append(why, reason)
		}
	}
	if len(why) > 0 {
		return false, strings.Join(why, "; ")
	}
	r.ready.Store(true)
	r.once.Do(func() { close(r.became) })
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
					"error": "temporarily_unavailable", "error_description": "the bridge is not ready: " + why,
				})
				return
			}
		}
		next.ServeHTTP(w, req)
	})
}

// report logs the start-up line, then "ready" once every condition holds; until then, a
// "not ready" error line with every unmet condition after firstAfter and again every interval,
// so a bridge that cannot start is never silent. Each of those lines comes with a readiness
// outcome event, so that "not ready" periods can be counted without parsing the reasons.
func (r *readiness) report(ctx context.Context, log *slog.Logger, summary func() []any, firstAfter, interval time.Duration) {
	log.Info("starting", summary()...)
	poll := time.NewTicker(250 * time.Millisecond)
	defer poll.Stop()
	next := time.Now().Add(firstAfter)
	for {
		if ok, why := r.state(); ok {
			log.Info("ready", summary()...)
			readinessEvent(ctx, log, true)
			return
		} else if !time.Now().Before(next) {
			log.Error("not ready: " + why)
			readinessEvent(ctx, log, false)
			next = time.Now().Add(interval)
		}
		select {
		case <-ctx.Done():
			if r.ready.Load() { // became ready just as the bridge stops: still say so
				log.Info("ready", summary()...)
				readinessEvent(context.WithoutCancel(ctx), log, true)
			}
			return
		case <-r.became:
		case <-poll.C:
		}
	}
}

func readinessEvent(ctx context.Context, log *slog.Logger, ready bool) {
	result := outcome.NotReady
	if ready {
		result = outcome.Ready
	}
	outcome.Log(ctx, log, outcome.Readiness, slog.String(outcome.FieldOutcome, result), slog.Bool(outcome.FieldReady, ready))
}

// secretsCheck is the readiness condition on secrets: every secret the configuration names has
// a value, the state key is a state key, and the signing key set has a key that may sign now.
// Each unmet condition names the secret and the command or setting that fixes it; values never
// appear.
func secretsCheck(cfg *config.Config, src secrets.Source, keySrc keys.Source, now func() time.Time) func() (bool, string) {
	where := func(name string) string {
		if cfg.Azure.KeyVaultURL != "" {
			return fmt.Sprintf("Key Vault secret %s in %s", name, cfg.Azure.KeyVaultURL)
		}
		return "setting " + config.SecretSettingName(name)
	}
	missing := func(name, what, fix string) string {
		if cfg.Azure.KeyVaultURL != "" {
			return fmt.Sprintf("%s has not loaded from %s: %s and store it there; if it exists, check that the bridge's identity has the 'Key Vault Secrets User' role (`handler doctor` tells which)",
				what, where(name), fix)
		}
		return fmt.Sprintf("%s is missing: %s and store it as %s", what, fix, where(name))
	}
	return func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		var why []string
		absent := func(name string) bool {
			_, err := src.Get(ctx, name)
			return errors.Is(err, secrets.ErrNotFound) || errors.Is(err, secrets.ErrNotLoaded)
		}
		if v, err := src.Get(ctx, cfg.StateKeySecret); absent(cfg.StateKeySecret) {
			why = append(why, missing(cfg.StateKeySecret, "the state key", "run `handler keys state`"))
		} else if err == nil {
			if _, err := seal.ParseKey(v); err != nil {
				why = append(why, fmt.Sprintf("the state key in %s is not usable (%v): replace it with the output of `handler keys state`", where(cfg.StateKeySecret), err))
			}
		}
		if set, err := keySrc.Current(ctx); errors.Is(err, secrets.ErrNotFound) || errors.Is(err, secrets.ErrNotLoaded) {
			fix := "run `handler keys new`"
			if cfg.Azure.KeyVaultURL == "" {
				fix = "run `handler keys new` (or, for a local run only, set BRIDGE_ALLOW_EPHEMERAL_KEYS=true)"
			}
			why = append(why, missing(cfg.SigningKeysSecret, "the signing key set", fix))
		} else if err != nil {
			why = append(why, fmt.Sprintf("the signing key set in %s is not usable (%v): replace it with the output of `handler keys new`", where(cfg.SigningKeysSecret), err))
		} else if set.SigningKeyID(now(), cfg.TokenTTL) == "" {
			why = append(why, fmt.Sprintf("no key in the signing key set %s may sign now (see `handler keys show`): add a key that signs at once with `handler keys new`, or wait for the next key's start", where(cfg.SigningKeysSecret)))
		}
		if absent(cfg.IDme.ClientSecret) {
			why = append(why, missing(cfg.IDme.ClientSecret, "the ID.me client secret", "copy it from your application in ID.me's developer portal"))
		}
		for _, c := range cfg.Clients {
			if c.SecretName != cfg.IDme.ClientSecret && absent(c.SecretName) {
				why = append(why, missing(c.SecretName, fmt.Sprintf("client %s's secret", c.ID), "make a long random secret (e.g. `openssl rand -base64 32`), give the same value to the client (B2C policy key)"))
			}
		}
		if len(why) > 0 {
			return false, strings.Join(why, "; ")
		}
		return true, ""
	}
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
