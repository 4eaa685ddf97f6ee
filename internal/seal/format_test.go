package seal

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"testing"
	"time"
)

// sealPlain seals an arbitrary plaintext as Seal would, so that tests can write what an
// earlier version of the bridge wrote, or a plaintext no version writes.
func sealPlain(t *testing.T, s *Sealer, purpose string, plain []byte) string {
	t.Helper()
	k := s.keys[0]
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		t.Fatal(err)
	}
	out := append(append(k.id[:0:0], k.id[:]...), nonce...)
	return encoding.EncodeToString(k.aead.Seal(out, nonce, plain, []byte(purpose)))
}

// A value sealed by the earlier format (a JSON envelope) must still open, expire and refuse
// as before: codes, states and access tokens are in flight while instances are upgraded.
func TestFormats(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	s, err := New(rand32(t), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	exp := now.Add(time.Minute).Unix()
	current := make([]byte, headerSize)
	current[0] = formatVersion
	binary.BigEndian.PutUint64(current[1:], uint64(exp))
	current = append(current, `{"a":"x","n":7}`...)
	unknown := append([]byte{formatVersion + 1}, current[1:]...)

	tests := []struct {
		name  string
		plain []byte
		at    time.Time
		want  error
	}{
		{"current", current, now, nil},
		{"current, expired", current, now.Add(time.Minute), ErrExpired},
		{"legacy envelope", []byte(`{"exp":1700000060,"v":{"a":"x","n":7}}`), now, nil},
		{"legacy envelope, expired", []byte(`{"exp":1700000060,"v":{"a":"x","n":7}}`), now.Add(time.Minute), ErrExpired},
		{"legacy envelope, broken", []byte(`{"exp":1700000060,"v":{"a":"x"`), now, ErrInvalid},
		{"unknown version", unknown, now, ErrInvalid},
		{"short header", current[:headerSize-1], now, ErrInvalid},
		{"header without a value", current[:headerSize], now, ErrInvalid},
		{"empty plaintext", nil, now, ErrInvalid},
		{"value not JSON", append(current[:headerSize:headerSize], "x"...), now, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sealed := sealPlain(t, s, "state", tt.plain)
			s.now = func() time.Time { return tt.at }
			var got payload
			err := s.Open("state", sealed, &got)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open err = %v, want %v", err, tt.want)
			}
			if (tt.want == nil || errors.Is(tt.want, ErrExpired)) && (got != payload{A: "x", N: 7}) {
				t.Fatalf("Open value = %+v", got)
			}
		})
	}
}

// What Seal writes is the current format: version, expiry, the value's JSON, nothing else.
func TestSealWritesCurrentFormat(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	s, err := New(rand32(t), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := s.Seal("state", payload{A: "x", N: 7}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	data, err := encoding.DecodeString(sealed)
	if err != nil {
		t.Fatal(err)
	}
	k := s.keys[0]
	n := k.aead.NonceSize()
	plain, err := k.aead.Open(nil, data[keyIDSize:keyIDSize+n], data[keyIDSize+n:], []byte("state"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"a":"x","n":7}`
	if plain[0] != formatVersion || int64(binary.BigEndian.Uint64(plain[1:headerSize])) != now.Add(time.Minute).Unix() || string(plain[headerSize:]) != want {
		t.Fatalf("plaintext = %q", plain)
	}
}
