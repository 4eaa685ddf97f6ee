// Package seal protects small values that travel through the browser (the state sent to ID.me,
// the logout cookie) with authenticated encryption, so they can be neither read nor altered,
// and expire.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// KeySize is the length of a sealing key: AES-256.
const KeySize = 32

var (
	// ErrInvalid means the sealed value was malformed, tampered with, sealed under another key
	// or for another purpose.
	ErrInvalid = errors.New("sealed value is invalid")
	// ErrExpired means the sealed value was authentic but is past its lifetime.
	ErrExpired = errors.New("sealed value has expired")
)

// Sealer seals and opens values with AES-256-GCM. The purpose string is bound as additional
// data, so a value sealed for one use can never be accepted for another.
type Sealer struct {
	aead cipher.AEAD
	now  func() time.Time
}

// New returns a Sealer for a 32-byte key. now may be nil (time.Now).
func New(key []byte, now func() time.Time) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("sealing key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("sealing key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("sealing key: %w", err)
	}
	if now == nil {
		now = time.Now
	}
	return &Sealer{aead: aead, now: now}, nil
}

// ParseKey decodes a sealing key given as standard or URL-safe base64 (with or without padding).
func ParseKey(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != KeySize {
				return nil, fmt.Errorf("sealing key decodes to %d bytes, want %d", len(b), KeySize)
			}
			return b, nil
		}
	}
	return nil, errors.New("sealing key is not base64")
}

// NewKey returns a fresh random key, base64 encoded.
func NewKey() string {
	return base64.StdEncoding.EncodeToString(randomBytes(KeySize))
}

// randomBytes reads from crypto/rand, which never fails on supported platforms.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

type envelope struct {
	Expires int64           `json:"exp"`
	Value   json.RawMessage `json:"v"`
}

// Seal encodes v as JSON and returns it sealed for purpose, valid for ttl, as URL-safe text.
func (s *Sealer) Seal(purpose string, v any, ttl time.Duration) (string, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("seal %s: %w", purpose, err)
	}
	plain, err := json.Marshal(envelope{Expires: s.now().Add(ttl).Unix(), Value: raw})
	if err != nil {
		return "", fmt.Errorf("seal %s: %w", purpose, err)
	}
	nonce := randomBytes(s.aead.NonceSize())
	out := s.aead.Seal(nonce, nonce, plain, []byte(purpose))
	return base64.RawURLEncoding.EncodeToString(out), nil
}

// Open checks and decrypts a value sealed for purpose into v. On ErrExpired, v holds the
// authentic but stale value, so a caller can still say where to report the expiry.
func (s *Sealer) Open(purpose, sealed string, v any) error {
	data, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil || len(data) < s.aead.NonceSize()+s.aead.Overhead() {
		return ErrInvalid
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, data[:n], data[n:], []byte(purpose))
	if err != nil {
		return ErrInvalid
	}
	var env envelope
	if err := json.Unmarshal(plain, &env); err != nil {
		return ErrInvalid
	}
	if err := json.Unmarshal(env.Value, v); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if s.now().Unix() >= env.Expires {
		return ErrExpired
	}
	return nil
}
