package seal

import (
	"errors"
	"testing"
	"time"
)

// TestStrictEncoding checks a sealed value has one spelling: changing the unused trailing bits
// of the last character yields the same bytes under lenient base64, and must not open.
func TestStrictEncoding(t *testing.T) {
	key, _ := ParseKey(NewKey())
	s, _ := New(key, nil)
	for i := 0; i < 64; i++ {
		sealed, err := s.Seal("state", payload{A: "x"}, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if len(sealed)%4 == 0 {
			continue // no spare bits in the last character
		}
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
		last := sealed[len(sealed)-1]
		for _, c := range []byte(alphabet) {
			variant := sealed[:len(sealed)-1] + string(c)
			if c == last {
				continue
			}
			if err := s.Open("state", variant, &payload{}); err == nil {
				t.Fatalf("variant spelling %q of a sealed value opened", variant[len(variant)-4:])
			}
			if _, err := Fingerprint(variant); err == nil {
				if fp1, _ := Fingerprint(sealed); fp1 == mustFingerprint(t, variant) {
					t.Fatal("two spellings share a fingerprint")
				}
			}
		}
		return
	}
	t.Fatal("no sealed value with spare bits")
}

func mustFingerprint(t *testing.T, s string) string {
	t.Helper()
	fp, err := Fingerprint(s)
	if err != nil {
		t.Fatal(err)
	}
	return fp
}

func TestKeyRotation(t *testing.T) {
	oldKey, newKey, otherKey := rand32(t), rand32(t), rand32(t)
	before, _ := NewWithKeys([][]byte{oldKey}, nil)
	during, _ := NewWithKeys([][]byte{newKey, oldKey}, nil)
	after, _ := NewWithKeys([][]byte{newKey}, nil)
	unrelated, _ := NewWithKeys([][]byte{otherKey}, nil)

	sealedOld, _ := before.Seal("state", payload{A: "old"}, time.Minute)
	sealedNew, _ := during.Seal("state", payload{A: "new"}, time.Minute)
	tests := []struct {
		name   string
		sealer *Sealer
		value  string
		want   error
	}{
		{"old value opens during the overlap", during, sealedOld, nil},
		{"new value opens during the overlap", during, sealedNew, nil},
		{"new value sealed with the newest key", after, sealedNew, nil},
		{"old value refused once the old key is gone", after, sealedOld, ErrInvalid},
		{"unrelated key", unrelated, sealedNew, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.sealer.Open("state", tt.value, &payload{}); !errors.Is(err, tt.want) {
				t.Fatalf("Open = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := NewWithKeys([][]byte{oldKey, oldKey}, nil); err == nil {
		t.Error("a key listed twice was accepted")
	}
}

func TestParseKeys(t *testing.T) {
	a, b := NewKey(), NewKey()
	keys, err := ParseKeys(a + ", " + b + "\n")
	if err != nil || len(keys) != 2 {
		t.Fatalf("ParseKeys = %d keys, %v", len(keys), err)
	}
	for _, bad := range []string{"", " , ", a + ",short"} {
		if _, err := ParseKeys(bad); err == nil {
			t.Errorf("ParseKeys(%q) accepted", bad)
		}
	}
}
