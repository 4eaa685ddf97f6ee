package secrets

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"idmebridge/internal/outcome"
)

var _ Source = (*KeyVault)(nil)

func TestKeyVaultLoadsConcurrently(t *testing.T) {
	names := []string{"a", "b", "c", "d"}
	fv := newFakeVault(map[string]string{"a": "va", "b": "vb", "c": "vc", "d": "vd"})
	var inFlight atomic.Int32
	all := make(chan struct{})
	// Every call waits for all the others: one-at-a-time fetching cannot get past this.
	fv.setScript(func(ctx context.Context, _ int) error {
		if inFlight.Add(1) == int32(len(names)) {
			close(all)
		}
		select {
		case <-all:
			return nil
		case <-time.After(waitLimit):
			return errors.New("fetches did not overlap")
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	kv := NewKeyVault(fv.client(t), KeyVaultOptions{Names: names})
	if err := kv.Load(t.Context()); err != nil {
		t.Fatalf("Load: %v", err)
	}
	for _, n := range names {
		if got, err := kv.Get(t.Context(), n); err != nil || got != "v"+n {
			t.Errorf("Get(%q) = %q, %v; want %q", n, got, err, "v"+n)
		}
	}
	for _, v := range fv.versions {
		if v != "" {
			t.Errorf("fetched version %q, want the latest (\"\")", v)
		}
	}
}

// TestKeyVaultLoadBoundsParallelReads: at most Parallel reads are in flight, and every secret
// still loads.
func TestKeyVaultLoadBoundsParallelReads(t *testing.T) {
	tests := []struct {
		parallel, names int
		want            int32 // most reads in flight at once
	}{
		{parallel: 1, names: 4, want: 1},
		{parallel: 3, names: 7, want: 3},
		{parallel: 0, names: 5, want: 5}, // the default (16) lets every read of a start go at once
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("parallel %d of %d", tt.parallel, tt.names), func(t *testing.T) {
			values := map[string]string{}
			var names []string
			for i := range tt.names {
				n := fmt.Sprintf("s%d", i)
				names, values[n] = append(names, n), "v"+n
			}
			fv := newFakeVault(values)
			var inFlight, most atomic.Int32
			fv.setScript(func(ctx context.Context, _ int) error {
				now := inFlight.Add(1)
				defer inFlight.Add(-1)
				for m := most.Load(); now > m && !most.CompareAndSwap(m, now); m = most.Load() {
				}
				// Long enough for every read that may start to have started.
				select {
				case <-time.After(50 * time.Millisecond):
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			})
			kv := NewKeyVault(fv.client(t), KeyVaultOptions{Names: names, Parallel: tt.parallel})
			if err := kv.Load(t.Context()); err != nil {
				t.Fatalf("Load: %v", err)
			}
			if !kv.Ready() {
				t.Fatalf("missing %v", kv.Missing())
			}
			if got := most.Load(); got != tt.want {
				t.Fatalf("%d reads in flight at most, want %d", got, tt.want)
			}
		})
	}
}

func TestKeyVaultLoad(t *testing.T) {
	tests := []struct {
		name        string
		values      map[string]string
		fail        error // every call fails with this when set
		wantErr     error
		wantInErr   []string
		wantMissing []string
		wantGet     map[string]string
	}{
		{
			name:    "all present",
			values:  map[string]string{"a": "1", "b": "2"},
			wantGet: map[string]string{"a": "1", "b": "2"},
		},
		{
			name:        "404 is ErrNotFound and the rest still load",
			values:      map[string]string{"a": "1"},
			wantErr:     ErrNotFound,
			wantInErr:   []string{`"b"`},
			wantMissing: []string{"b"},
			wantGet:     map[string]string{"a": "1"},
		},
		{
			name:        "empty value is ErrNotFound",
			values:      map[string]string{"a": "1", "b": ""},
			wantErr:     ErrNotFound,
			wantInErr:   []string{`"b"`},
			wantMissing: []string{"b"},
			wantGet:     map[string]string{"a": "1"},
		},
		{
			name:        "vault answers 503",
			values:      map[string]string{"a": "1", "b": "2"},
			fail:        statusError(http.StatusServiceUnavailable),
			wantInErr:   []string{`"a"`, `"b"`, "503"},
			wantMissing: []string{"a", "b"},
		},
		{
			name:        "vault unreachable",
			values:      map[string]string{"a": "1", "b": "2"},
			fail:        errors.New("dial tcp: connection refused"),
			wantInErr:   []string{`"a"`, `"b"`, "connection refused"},
			wantMissing: []string{"a", "b"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fv := newFakeVault(tt.values)
			if tt.fail != nil {
				fv.setScript(func(context.Context, int) error { return tt.fail })
			}
			kv := NewKeyVault(fv.client(t), KeyVaultOptions{Names: []string{"a", "b"}})
			err := kv.Load(t.Context())

			if (err != nil) != (tt.wantInErr != nil) {
				t.Fatalf("Load err = %v, want failure naming %v", err, tt.wantInErr)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Load err = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == nil && errors.Is(err, ErrNotFound) {
				t.Errorf("Load err = %v: an outage must not look like a missing secret", err)
			}
			for _, s := range tt.wantInErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("Load err = %v, want it to mention %s", err, s)
				}
			}
			if got := kv.Missing(); !slices.Equal(got, tt.wantMissing) {
				t.Errorf("Missing() = %v, want %v", got, tt.wantMissing)
			}
			if got, want := kv.Ready(), len(tt.wantMissing) == 0; got != want {
				t.Errorf("Ready() = %v, want %v", got, want)
			}
			for _, n := range []string{"a", "b"} {
				got, err := kv.Get(t.Context(), n)
				want, ok := tt.wantGet[n]
				switch {
				case ok && (err != nil || got != want):
					t.Errorf("Get(%q) = %q, %v; want %q", n, got, err, want)
				case !ok && !errors.Is(err, ErrNotLoaded):
					t.Errorf("Get(%q) = %q, %v; want ErrNotLoaded", n, got, err)
				}
			}
		})
	}
}

func TestKeyVaultGet(t *testing.T) {
	fv := newFakeVault(map[string]string{"a": "1", "other": "x"})
	kv := NewKeyVault(fv.client(t), KeyVaultOptions{Names: []string{"a", "a", ""}})
	calls := func() int { fv.mu.Lock(); defer fv.mu.Unlock(); return fv.calls }

	if _, err := kv.Get(t.Context(), "a"); !errors.Is(err, ErrNotLoaded) {
		t.Fatalf("Get before Load err = %v, want ErrNotLoaded", err)
	}
	if err := kv.Load(t.Context()); err != nil {
		t.Fatalf("Load: %v", err)
	}
	if n := calls(); n != 1 {
		t.Fatalf("Load made %d calls for one distinct name, want 1", n)
	}
	tests := []struct {
		name, want string
		wantErr    error
	}{
		{"a", "1", nil},
		{"other", "", ErrNotLoaded}, // in the vault, but not asked for
		{"unknown", "", ErrNotLoaded},
		{"", "", ErrNotLoaded},
	}
	for _, tt := range tests {
		got, err := kv.Get(t.Context(), tt.name)
		if got != tt.want || !errors.Is(err, tt.wantErr) {
			t.Errorf("Get(%q) = %q, %v; want %q, %v", tt.name, got, err, tt.want, tt.wantErr)
		}
		if errors.Is(err, ErrNotFound) {
			t.Errorf("Get(%q) err = %v: not loaded must not read as not found", tt.name, err)
		}
	}
	if n := calls(); n != 1 {
		t.Errorf("Get called Key Vault: %d calls after Load, want 1", n)
	}
}

func TestKeyVaultRecoversFromOutageAtStart(t *testing.T) {
	tests := []struct {
		name string
		down error
	}{
		{"503", statusError(http.StatusServiceUnavailable)},
		{"transport error", errors.New("dial tcp: connection refused")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fv := newFakeVault(map[string]string{"a": "1", "b": "2"})
			// Calls 1-4 (Load and the first refresh) find the vault down, 5-6 succeed, then park.
			g := newGate(6)
			fv.setScript(func(ctx context.Context, call int) error {
				if g.hold(ctx, call) {
					return ctx.Err()
				}
				if call <= 4 {
					return tt.down
				}
				return nil
			})
			var logs bytes.Buffer
			kv := NewKeyVault(fv.client(t), KeyVaultOptions{
				Names: []string{"a", "b"}, Refresh: 2 * time.Millisecond,
				Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
			})

			if err := kv.Load(t.Context()); err == nil {
				t.Fatal("Load with the vault down succeeded")
			}
			if kv.Ready() {
				t.Fatal("Ready() = true with the vault down")
			}
			if _, err := kv.Get(t.Context(), "a"); !errors.Is(err, ErrNotLoaded) {
				t.Fatalf("Get with nothing loaded err = %v, want ErrNotLoaded", err)
			}

			stop := startRun(t, kv)
			g.wait(t)
			stop()

			if !kv.Ready() {
				t.Fatalf("Ready() = false after the vault came back; missing %v", kv.Missing())
			}
			if got, err := kv.Get(t.Context(), "b"); err != nil || got != "2" {
				t.Fatalf("Get(b) = %q, %v; want 2", got, err)
			}
			lines := logLines(t, &logs)
			if len(lines) != 1 {
				t.Fatalf("got %d log lines for one failed refresh, want 1:\n%s", len(lines), logs.String())
			}
			// Nothing was serving, so this is an error, not a warning.
			if lines[0]["level"] != "ERROR" || !sameNames(lines[0]["missing"], "a", "b") {
				t.Errorf("log line = %v, want level ERROR with missing [a b]", lines[0])
			}
		})
	}
}

func TestKeyVaultOutageKeepsLastValues(t *testing.T) {
	const rounds = 3
	loadedAt := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	fv := newFakeVault(map[string]string{"a": "value-a-1", "b": "value-b-1"})
	var logs bytes.Buffer
	kv := NewKeyVault(fv.client(t), KeyVaultOptions{
		Names: []string{"a", "b"}, Refresh: 2 * time.Millisecond,
		Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
		Now:    func() time.Time { return loadedAt },
	})
	if err := kv.Load(t.Context()); err != nil {
		t.Fatalf("Load: %v", err)
	}

	// After the first load the vault is down for exactly `rounds` refreshes, then calls park
	// until Run is stopped, which must not be logged as a failure.
	g := newGate(2 + 2*rounds)
	fv.setScript(func(ctx context.Context, call int) error {
		if g.hold(ctx, call) {
			return ctx.Err()
		}
		return statusError(http.StatusServiceUnavailable)
	})
	stop := startRun(t, kv)
	g.wait(t)
	if got, err := kv.Get(t.Context(), "a"); err != nil || got != "value-a-1" {
		t.Errorf("Get(a) during outage = %q, %v; want the last loaded value", got, err)
	}
	stop()

	lines, events := splitLog(t, &logs)
	if len(lines) != rounds {
		t.Fatalf("got %d log lines for %d failed refreshes, want one each:\n%s", len(lines), rounds, logs.String())
	}
	// And one outcome event per failed secret per round, naming the secret only.
	if len(events) != 2*rounds {
		t.Fatalf("got %d outcome events for %d failed refreshes of 2 secrets, want %d:\n%s", len(events), rounds, 2*rounds, logs.String())
	}
	for i, e := range events {
		want := []string{"a", "b"}[i%2]
		if e["event"] != outcome.SecretRefresh || e["outcome"] != outcome.RefreshFailed || e["secret"] != want || len(e) != 6 {
			t.Errorf("event %v, want event %s, outcome %s, secret %s and nothing else", e, outcome.SecretRefresh, outcome.RefreshFailed, want)
		}
	}
	for _, l := range lines {
		if l["level"] != "WARN" || !sameNames(l["failed"], "a", "b") || l["stale_since"] != loadedAt.Format(time.RFC3339) {
			t.Errorf("log line = %v, want WARN, failed [a b], stale_since %s", l, loadedAt.Format(time.RFC3339))
		}
	}
	if strings.Contains(logs.String(), "value-") {
		t.Errorf("a secret value reached the log:\n%s", logs.String())
	}
	if !kv.Ready() {
		t.Errorf("Ready() = false during an outage with every value loaded")
	}
}

func TestKeyVaultPicksUpRotation(t *testing.T) {
	fv := newFakeVault(map[string]string{"a": "old"})
	kv := NewKeyVault(fv.client(t), KeyVaultOptions{Names: []string{"a"}, Refresh: 2 * time.Millisecond})
	if err := kv.Load(t.Context()); err != nil {
		t.Fatalf("Load: %v", err)
	}
	fv.set("a", "new")
	// Call 2 is the first refresh; call 3 parking proves that refresh has finished.
	g := newGate(2)
	fv.setScript(func(ctx context.Context, call int) error {
		if g.hold(ctx, call) {
			return ctx.Err()
		}
		return nil
	})
	stop := startRun(t, kv)
	g.wait(t)
	got, err := kv.Get(t.Context(), "a")
	stop()
	if err != nil || got != "new" {
		t.Fatalf("Get(a) after one refresh = %q, %v; want new", got, err)
	}
}

func TestKeyVaultRunStops(t *testing.T) {
	tests := []struct {
		name    string
		refresh time.Duration
	}{
		{"waiting for the next round", time.Hour},
		{"between quick rounds", time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fv := newFakeVault(map[string]string{"a": "1"})
			kv := NewKeyVault(fv.client(t), KeyVaultOptions{Names: []string{"a"}, Refresh: tt.refresh})
			stop := startRun(t, kv)
			stop() // fails the test if Run does not return
		})
	}
}

// logLines returns the log's lines other than outcome events.
func logLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	lines, _ := splitLog(t, buf)
	return lines
}

// splitLog returns the log's lines and, apart, its outcome events.
func splitLog(t *testing.T, buf *bytes.Buffer) (lines, events []map[string]any) {
	t.Helper()
	for l := range strings.Lines(buf.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if m["msg"] == outcome.Message {
			events = append(events, m)
			continue
		}
		lines = append(lines, m)
	}
	return lines, events
}

// sameNames reports whether a decoded JSON list holds exactly names, in order.
func sameNames(v any, names ...string) bool {
	list, ok := v.([]any)
	if !ok || len(list) != len(names) {
		return false
	}
	for i, n := range names {
		if list[i] != n {
			return false
		}
	}
	return true
}
