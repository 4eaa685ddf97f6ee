package seal

import (
	"errors"
	"strings"
	"testing"
	"time"
)

type payload struct {
	A string `json:"a"`
	N int    `json:"n"`
}

func TestSealRoundTripAndRejections(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	clock := func() time.Time { return now }
	key, _ := ParseKey(NewKey())
	s, err := New(key, clock)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := New(rand32(t), clock)
	sealed, err := s.Seal("state", payload{A: "x", N: 7}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	flip := []byte(sealed)
	flip[len(flip)/2] ^= 1

	tests := []struct {
		name    string
		sealer  *Sealer
		purpose string
		value   string
		advance time.Duration
		want    error
	}{
		{"ok", s, "state", sealed, 0, nil},
		{"wrong purpose", s, "logout", sealed, 0, ErrInvalid},
		{"wrong key", other, "state", sealed, 0, ErrInvalid},
		{"tampered", s, "state", string(flip), 0, ErrInvalid},
		{"truncated", s, "state", sealed[:10], 0, ErrInvalid},
		{"not base64", s, "state", "!!!", 0, ErrInvalid},
		{"empty", s, "state", "", 0, ErrInvalid},
		{"expired", s, "state", sealed, time.Minute, ErrExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now = time.Unix(1_700_000_000, 0).Add(tt.advance)
			var got payload
			err := tt.sealer.Open(tt.purpose, tt.value, &got)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open err = %v, want %v", err, tt.want)
			}
			authentic := tt.want == nil || errors.Is(tt.want, ErrExpired)
			if authentic && (got != payload{A: "x", N: 7}) {
				t.Fatalf("Open value = %+v", got)
			}
		})
	}
}

func TestParseKey(t *testing.T) {
	good := NewKey()
	tests := []struct {
		in string
		ok bool
	}{
		{good, true},
		{strings.TrimRight(good, "="), true},
		{"c2hvcnQ=", false},
		{"not base64 at all!", false},
	}
	for _, tt := range tests {
		if _, err := ParseKey(tt.in); (err == nil) != tt.ok {
			t.Errorf("ParseKey(%q) err = %v, want ok=%v", tt.in, err, tt.ok)
		}
	}
	if _, err := New([]byte("short"), nil); err == nil {
		t.Error("New accepted a short key")
	}
}

func rand32(t *testing.T) []byte {
	t.Helper()
	k, err := ParseKey(NewKey())
	if err != nil {
		t.Fatal(err)
	}
	return k
}
