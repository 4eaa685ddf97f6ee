package verification

import (
	"context"
	"encoding/json"
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

// TestLatestFor: the newest record written for the client, never another client's, however
// much newer; a record that cannot be read is passed over, and reported when nothing else is
// found.
func TestLatestFor(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	rec := func(client string, at time.Duration, groups ...string) Record {
		return Record{IDmeUUID: "abc123", ClientID: client, VerifiedAt: t0.Add(at), Groups: groups}
	}
	tests := []struct {
		name    string
		records []Record
		broken  []string // names whose body is not JSON
		client  string
		want    time.Duration // VerifiedAt offset of the wanted record
		wantErr error         // instead of a record
	}{
		{name: "own newest", records: []Record{rec("a", 0), rec("a", time.Second)}, client: "a", want: time.Second},
		{name: "another client's newer record is passed over", records: []Record{rec("a", 0, "military"), rec("b", time.Hour, "student")}, client: "a", want: 0},
		{name: "only another client's", records: []Record{rec("b", 0)}, client: "a", wantErr: ErrNoRecord},
		{name: "no client", records: []Record{rec("", 0)}, client: "", wantErr: ErrNoRecord},
		{name: "none", client: "a", wantErr: ErrNoRecord},
		{name: "broken newest passed over", records: []Record{rec("a", 0)}, broken: []string{"abc123/20260301T100000.000000000Z.json"}, client: "a", want: 0},
		{name: "broken and nothing else", records: []Record{rec("b", 0)}, broken: []string{"abc123/20260301T100000.000000000Z.json"}, client: "a", wantErr: errDecode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := NewMemory()
			for _, r := range tt.records {
				body, _ := json.Marshal(r)
				_ = mem.Put(t.Context(), Name(r), body)
			}
			for _, n := range tt.broken {
				_ = mem.Put(t.Context(), n, []byte("{not json"))
			}
			got, err := NewReader(mem.List, mem.Get).LatestFor(t.Context(), "abc123", tt.client)
			switch {
			case tt.wantErr == errDecode:
				if err == nil || errors.Is(err, ErrNoRecord) {
					t.Fatalf("err = %v, want the decode error", err)
				}
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			case got.ClientID != tt.client || !got.VerifiedAt.Equal(t0.Add(tt.want)):
				t.Fatalf("got %+v, want client %s at +%s", got, tt.client, tt.want)
			}
		})
	}
}

// errDecode marks a case expecting the decode error of an unreadable record.
var errDecode = errors.New("decode")

// TestLatestForReadsABoundedNumber: a person with many records for other clients costs at most
// maxScanned reads.
func TestLatestForReadsABoundedNumber(t *testing.T) {
	mem := NewMemory()
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	old := Record{IDmeUUID: "abc123", ClientID: "a", VerifiedAt: t0}
	body, _ := json.Marshal(old)
	_ = mem.Put(t.Context(), Name(old), body)
	for i := range maxScanned + 5 {
		r := Record{IDmeUUID: "abc123", ClientID: "b", VerifiedAt: t0.Add(time.Duration(i+1) * time.Minute)}
		body, _ := json.Marshal(r)
		_ = mem.Put(t.Context(), Name(r), body)
	}
	reads := 0
	get := func(ctx context.Context, name string) ([]byte, error) { reads++; return mem.Get(ctx, name) }
	if _, err := NewReader(mem.List, get).LatestFor(t.Context(), "abc123", "a"); !errors.Is(err, ErrNoRecord) {
		t.Fatalf("err = %v, want ErrNoRecord past the bound", err)
	}
	if reads != maxScanned {
		t.Fatalf("%d reads, want %d", reads, maxScanned)
	}
}
