package authext

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"idmebridge/internal/authext/faketenant"
	"idmebridge/internal/outcome"
	"idmebridge/internal/outcome/outcometest"
)

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// TestOutcomeEvents provokes every outcome of an extension call and checks its one line: the
// outcome event, in its documented shape.
func TestOutcomeEvents(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(r *rig)
		event   string
		bearer  func(r *rig) string
		outcome string
		level   string
	}{
		{name: "claims", event: "token-issuance-start.json", outcome: outcome.WithClaims, level: "INFO"},
		{name: "not an ID.me user", event: "token-issuance-start-guest.json", outcome: outcome.NotIDme, level: "INFO"},
		{name: "no record", setup: func(r *rig) { r.records.records = nil }, event: "token-issuance-start.json", outcome: outcome.NoRecord, level: "INFO"},
		{name: "records down", setup: func(r *rig) { r.records.err = errors.New("connection refused") }, event: "token-issuance-start.json", outcome: outcome.Failed, level: "ERROR"},
		{name: "refused", bearer: func(r *rig) string {
			return r.token(faketenant.Token{Issuer: "https://fabrikam.ciamlogin.com/99999999-2222-3333-4444-555555555555/v2.0"})
		}, event: "token-issuance-start.json", outcome: outcome.Refused, level: "WARN"},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			logs := &syncBuffer{}
			r.ext.log = slog.New(slog.NewJSONHandler(logs, nil))
			if tt.setup != nil {
				tt.setup(r)
			}
			bearer := r.token(faketenant.Token{})
			if tt.bearer != nil {
				bearer = tt.bearer(r)
			}
			r.call(bearer, sample(t, tt.event))
			evs, err := outcometest.Parse(logs.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != 1 {
				t.Fatalf("%d events, want 1:\n%s", len(evs), logs.Bytes())
			}
			ev := evs[0]
			for _, p := range outcometest.Check(ev) {
				t.Error(p)
			}
			if ev["event"] != outcome.Extension || ev["outcome"] != tt.outcome || ev["level"] != tt.level {
				t.Errorf("event %v, want outcome %s at %s", ev, tt.outcome, tt.level)
			}
			if (tt.outcome == outcome.WithClaims) != (ev["claims"].(float64) > 0) || (tt.outcome == outcome.WithClaims) != (ev["reason"] == "") {
				t.Errorf("claims %v reason %q with outcome %s", ev["claims"], ev["reason"], tt.outcome)
			}
			if s := string(logs.Bytes()); strings.Contains(s, veteranSub) || strings.Contains(s, memberUser) {
				t.Errorf("an id of the user in the log:\n%s", s)
			}
			seen[tt.outcome] = true
		})
	}
	for _, o := range outcome.Outcomes()[outcome.Extension] {
		if !seen[o] {
			t.Errorf("no row provokes outcome %s", o)
		}
	}
}
