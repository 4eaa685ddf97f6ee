package verification

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

type memPut struct {
	mu    sync.Mutex
	blobs map[string][]byte
	fail  bool
}

func (m *memPut) put(_ context.Context, name string, body []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail {
		return errors.New("storage down")
	}
	m.blobs[name] = body
	return nil
}

func TestRecordContents(t *testing.T) {
	claims := map[string]any{
		"sub": "u-1", "given_name": "Vera", "birthdate": "1980-01-02", "idme_ssn_last4": "1234",
		"idme_groups": []string{"military"}, "idme_subgroups": []string{"Veteran"}, "idme_military_verified": true,
	}
	tests := []struct {
		name     string
		include  []string
		want     []string
		wantGone []string
	}{
		{"defaults leave out birth date and SSN", nil, []string{"sub", "given_name", "idme_groups", "idme_military_verified"}, []string{"birthdate", "idme_ssn_last4"}},
		{"birthdate included by setting", []string{"birthdate"}, []string{"birthdate"}, []string{"idme_ssn_last4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &memPut{blobs: map[string][]byte{}}
			w := NewWriter(m.put, Options{Include: tt.include})
			at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
			w.Submit("b2c", claims, at)
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			w.Run(ctx) // drains the queue, then returns
			body, ok := m.blobs["u-1/20261122T100000.000000000Z.json"]
			if !ok {
				t.Fatalf("no record written: %v", m.blobs)
			}
			var r Record
			if err := json.Unmarshal(body, &r); err != nil {
				t.Fatal(err)
			}
			if r.IDmeUUID != "u-1" || r.ClientID != "b2c" || !r.VerifiedAt.Equal(at) || len(r.Groups) != 1 || r.Subgroups[0] != "Veteran" {
				t.Fatalf("record = %+v", r)
			}
			for _, k := range tt.want {
				if _, ok := r.Claims[k]; !ok {
					t.Errorf("record lacks %s", k)
				}
			}
			for _, k := range tt.wantGone {
				if _, ok := r.Claims[k]; ok {
					t.Errorf("record keeps %s", k)
				}
			}
		})
	}
}

// TestSubmitNeverBlocks: with storage down and the queue full, a sign-in is not slowed.
func TestSubmitNeverBlocks(t *testing.T) {
	m := &memPut{blobs: map[string][]byte{}, fail: true}
	w := NewWriter(m.put, Options{Queue: 2})
	start := time.Now()
	for range 100 {
		w.Submit("b2c", map[string]any{"sub": "u"}, time.Now())
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Fatalf("100 submissions took %s", d)
	}
	if len(w.queue) != 2 {
		t.Fatalf("queue holds %d, want 2 (the rest dropped)", len(w.queue))
	}
}

// neverStored are claim names a record must leave out by default, listed here independently
// of the code's filter so that dropping an entry there fails this test: the full birth date
// and whatever carries a social security number (ID.me's attribute handle for it is "social",
// which an operator's mapping may keep as a claim name or rename).
var neverStored = []string{
	"birthdate", "Birthdate", "BIRTHDATE",
	"social", "Social", "idme_social", "social_security_number", "idme_social_last4",
	"ssn", "SSN", "idme_ssn", "ssn_last4", "idme_ssn_last4",
}

// TestSensitiveClaimsNeverStored checks every sensitive name, from the filter's own lists and
// from the independent list above, is absent from a stored record, name and value, while the
// claims beside it are kept.
func TestSensitiveClaimsNeverStored(t *testing.T) {
	var names []string
	names = append(names, sensitiveClaims...)
	for _, f := range sensitiveFragments {
		names = append(names, f, strings.ToUpper(f), "idme_"+f, "idme_"+f+"_last4")
	}
	names = append(names, neverStored...)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			m := &memPut{blobs: map[string][]byte{}}
			w := NewWriter(m.put, Options{})
			secret := "value-of-" + name
			w.Submit("b2c", map[string]any{"sub": "u-1", "given_name": "Vera", name: secret}, time.Unix(0, 0))
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			w.Run(ctx)
			if len(m.blobs) != 1 {
				t.Fatalf("%d records written", len(m.blobs))
			}
			for _, body := range m.blobs {
				var r Record
				if err := json.Unmarshal(body, &r); err != nil {
					t.Fatal(err)
				}
				if _, ok := r.Claims[name]; ok || strings.Contains(string(body), secret) {
					t.Errorf("record stores %s: %s", name, body)
				}
				if r.Claims["given_name"] != "Vera" {
					t.Errorf("record lost the claims beside it: %s", body)
				}
			}
		})
	}
}
