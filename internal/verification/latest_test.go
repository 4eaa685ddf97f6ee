package verification

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestLatestPicksTheNewestRecord writes records through a Writer and reads the latest back.
func TestLatestPicksTheNewestRecord(t *testing.T) {
	mem := NewMemory()
	w := NewWriter(mem.Put, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	w.Submit("c", map[string]any{"sub": "abc123", "idme_groups": []string{"military"}}, t0)
	w.Submit("c", map[string]any{"sub": "abc123", "idme_groups": []string{"military", "identity"}}, t0.Add(time.Second))
	w.Submit("c", map[string]any{"sub": "abc1234", "idme_groups": []string{"student"}}, t0.Add(time.Hour))
	w.Submit("c", map[string]any{"sub": "other", "idme_groups": []string{"teacher"}}, t0.Add(2*time.Hour))
	cancel()
	w.Run(ctx) // drains the queue

	r := NewReader(mem.List, mem.Get)
	rec, err := r.Latest(context.Background(), "abc123")
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Groups) != 2 || !rec.VerifiedAt.Equal(t0.Add(time.Second)) {
		t.Errorf("latest = %+v, want the second abc123 record", rec)
	}
	for _, subject := range []string{"nobody", "", "../other", "abc123/x"} {
		if _, err := r.Latest(context.Background(), subject); !errors.Is(err, ErrNoRecord) {
			t.Errorf("Latest(%q) err = %v, want ErrNoRecord", subject, err)
		}
	}
}

// TestLatestRefusesARecordOfAnotherSubject: a record stored under one subject's prefix but
// naming another is not believed.
func TestLatestRefusesARecordOfAnotherSubject(t *testing.T) {
	mem := NewMemory()
	_ = mem.Put(context.Background(), "abc/20260101T000000.000000000Z.json", []byte(`{"idme_uuid":"xyz","groups":["military"]}`))
	if _, err := NewReader(mem.List, mem.Get).Latest(context.Background(), "abc"); !errors.Is(err, ErrNoRecord) {
		t.Errorf("err = %v, want ErrNoRecord", err)
	}
}

// TestLatestListsNothingForAMalformedSubject: a subject that is not uuid-shaped never becomes a
// storage prefix.
func TestLatestListsNothingForAMalformedSubject(t *testing.T) {
	list := func(_ context.Context, prefix string) ([]string, error) {
		t.Errorf("listed prefix %q", prefix)
		return nil, nil
	}
	r := NewReader(list, func(context.Context, string) ([]byte, error) { return nil, ErrNoRecord })
	for _, subject := range []string{"", "../x", "a/b", "a b", "a?b"} {
		if _, err := r.Latest(context.Background(), subject); !errors.Is(err, ErrNoRecord) {
			t.Errorf("Latest(%q) err = %v", subject, err)
		}
	}
}
