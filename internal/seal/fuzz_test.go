package seal

import (
	"errors"
	"testing"
	"time"
)

// FuzzOpen opens arbitrary text: it never panics, never opens (nothing but Seal's output
// authenticates), and Fingerprint agrees with Open about what decodes. Seeds are here and in
// testdata/fuzz/FuzzOpen; run longer with go test -run '^$' -fuzz FuzzOpen ./internal/seal
func FuzzOpen(f *testing.F) {
	key := make([]byte, KeySize)
	s, err := New(key, func() time.Time { return time.Unix(1_700_000_000, 0) })
	if err != nil {
		f.Fatal(err)
	}
	valid, _ := s.Seal("state", payload{A: "x"}, time.Minute)
	for _, seed := range []string{"", "A", "AAAA", "====", valid, valid + "A", valid[:len(valid)-1], "\xff\xfe", "a+b/c="} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, sealed string) {
		var v payload
		err := s.Open("state", sealed, &v)
		if sealed == valid {
			if err != nil {
				t.Fatalf("the seed sealed value did not open: %v", err)
			}
			return
		}
		if err == nil || (!errors.Is(err, ErrInvalid) && !errors.Is(err, ErrExpired)) {
			t.Fatalf("Open(%q) = %v, want ErrInvalid", sealed, err)
		}
		if _, fpErr := Fingerprint(sealed); fpErr != nil && errors.Is(err, ErrExpired) {
			t.Fatalf("Open decoded %q but Fingerprint did not", sealed)
		}
	})
}

// FuzzParseKeys reads arbitrary key settings without panicking; what it accepts seals.
func FuzzParseKeys(f *testing.F) {
	for _, seed := range []string{"", NewKey(), NewKey() + "," + NewKey(), "not base64", " , ,", "AAAA"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		keys, err := ParseKeys(raw)
		if err != nil {
			return
		}
		s, err := NewWithKeys(keys, nil)
		if err != nil {
			return // a key listed twice
		}
		sealed, err := s.Seal("p", payload{A: raw}, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Open("p", sealed, &payload{}); err != nil {
			t.Fatalf("round trip: %v", err)
		}
	})
}
