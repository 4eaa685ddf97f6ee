// Package seal protects small values that travel through the browser or a relying party (the
// state sent to ID.me, the logout cookie, the bridge's own codes and access tokens) with
// authenticated encryption, so they can be neither read nor altered, and expire.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// KeySize is the length of a sealing key: AES-256.
const KeySize = 32

// keyIDSize is the length of the key id that prefixes every sealed value, so a value sealed
// under an older key still opens during a rotation.
const keyIDSize = 4

var (
	// ErrInvalid means the sealed value was malformed, tampered with, sealed under another key
	// or for another purpose.
	ErrInvalid = errors.New("sealed value is invalid")
	// ErrExpired means the sealed value was authentic but is past its lifetime.
	ErrExpired = errors.New("sealed value has expired")
)

// encoding is strict: a sealed value has exactly one spelling, so a ledger keyed on it cannot be
// bypassed by re-encoding the same bytes (non-zero trailing bits, padding).
var encoding = base64.RawURLEncoding.Strict()

// Sealer seals and opens values with AES-256-GCM. The purpose string is bound as additional
// data, so a value sealed for one use can never be accepted for another.
type Sealer struct {
	keys []sealingKey // keys[0] seals; every key opens
	now  func() time.Time
}

type sealingKey struct {
	id   [keyIDSize]byte
	aead cipher.AEAD
}

// New returns a Sealer for one 32-byte key. now may be nil (time.Now).
func New(key []byte, now func() time.Time) (*Sealer, error) {
	return NewWithKeys([][]byte{key}, now)
}

// NewWithKeys returns a Sealer that seals with keys[0] and opens with any of keys: during a
// rotation the new key goes first and the old one stays until what it sealed has expired.
func NewWithKeys(keys [][]byte, now func() time.Time) (*Sealer, error) {
	if len(keys) == 0 {
		return nil, errors.New("no sealing key")
	}
	s := &Sealer{now: now}
	if s.now == nil {
		s.now = time.Now
	}
	for i, key := range keys {
		if len(key) != KeySize {
			return nil, fmt.Errorf("sealing key %d is %d bytes, want %d", i+1, len(key), KeySize)
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("sealing key %d: %w", i+1, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("sealing key %d: %w", i+1, err)
		}
		k := sealingKey{id: keyID(key), aead: aead}
		for _, prev := range s.keys {
			if prev.id == k.id {
				return nil, fmt.Errorf("sealing key %d is listed twice", i+1)
			}
		}
		s.keys = append(s.keys, k)
	}
	return s, nil
}

// keyID names a key without revealing it: the first bytes of a hash with a fixed label.
func keyID(key []byte) [keyIDSize]byte {
	sum := sha256.Sum256(append([]byte("idme-bridge seal key id\x00"), key...))
	var id [keyIDSize]byte
	copy(id[:], sum[:])
	return id
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

// ParseKeys decodes a list of sealing keys separated by spaces, commas or newlines, newest
// first: the first seals, all of them open.
func ParseKeys(s string) ([][]byte, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
	if len(fields) == 0 {
		return nil, errors.New("no sealing key")
	}
	keys := make([][]byte, 0, len(fields))
	for i, f := range fields {
		k, err := ParseKey(f)
		if err != nil {
			return nil, fmt.Errorf("sealing key %d: %w", i+1, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
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

// The sealed plaintext is formatVersion, the expiry in Unix seconds (8 bytes, big-endian), then
// the value's JSON: the value is encoded once and decoded once. Values sealed before this
// format (a JSON envelope, first byte '{') still open, so codes, states and access tokens in
// flight during an upgrade stay good for their lifetime.
const (
	formatVersion = 1
	headerSize    = 1 + 8
)

// legacyEnvelope is the earlier plaintext: {"exp":...,"v":...}.
type legacyEnvelope struct {
	Expires int64           `json:"exp"`
	Value   json.RawMessage `json:"v"`
}

// Seal encodes v as JSON and returns it sealed for purpose, valid for ttl, as URL-safe text.
func (s *Sealer) Seal(purpose string, v any, ttl time.Duration) (string, error) {
	k := s.keys[0]
	n := k.aead.NonceSize()
	prefix := keyIDSize + n
	// The plaintext is built where the ciphertext will go: AES-GCM seals in place.
	value, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("seal %s: %w", purpose, err)
	}
	buf := make([]byte, prefix+headerSize, prefix+headerSize+len(value)+k.aead.Overhead())
	buf[prefix] = formatVersion
	binary.BigEndian.PutUint64(buf[prefix+1:], uint64(s.now().Add(ttl).Unix()))
	buf = append(buf, value...)
	copy(buf, k.id[:])
	if _, err := rand.Read(buf[keyIDSize:prefix]); err != nil {
		return "", fmt.Errorf("seal %s: %w", purpose, err)
	}
	out := k.aead.Seal(buf[:prefix], buf[keyIDSize:prefix], buf[prefix:], []byte(purpose))
	return encoding.EncodeToString(out), nil
}

// Open checks and decrypts a value sealed for purpose into v. On ErrExpired, v holds the
// authentic but stale value, so a caller can still say where to report the expiry.
func (s *Sealer) Open(purpose, sealed string, v any) error {
	data, err := encoding.DecodeString(sealed)
	if err != nil || len(data) < keyIDSize {
		return ErrInvalid
	}
	var k *sealingKey
	for i := range s.keys {
		if string(s.keys[i].id[:]) == string(data[:keyIDSize]) {
			k = &s.keys[i]
			break
		}
	}
	if k == nil {
		return ErrInvalid
	}
	data = data[keyIDSize:]
	n := k.aead.NonceSize()
	if len(data) < n+k.aead.Overhead() {
		return ErrInvalid
	}
	// Decrypted in place: data is this call's own copy.
	plain, err := k.aead.Open(data[n:n], data[:n], data[n:], []byte(purpose))
	if err != nil {
		return ErrInvalid
	}
	expires, value, ok := parsePlain(plain)
	if !ok {
		return ErrInvalid
	}
	if err := json.Unmarshal(value, v); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if s.now().Unix() >= expires {
		return ErrExpired
	}
	return nil
}

// parsePlain splits an authentic plaintext into its expiry and the value's JSON, in either
// format.
func parsePlain(plain []byte) (expires int64, value []byte, ok bool) {
	switch {
	case len(plain) >= headerSize && plain[0] == formatVersion:
		return int64(binary.BigEndian.Uint64(plain[1:headerSize])), plain[headerSize:], true
	case len(plain) > 0 && plain[0] == '{':
		var env legacyEnvelope
		if json.Unmarshal(plain, &env) != nil {
			return 0, nil, false
		}
		return env.Expires, env.Value, true
	}
	return 0, nil, false
}

// Fingerprint returns a digest of the bytes a sealed value decodes to, for single-use ledgers:
// it names the value, not its spelling. It fails on text Open would refuse to decode.
func Fingerprint(sealed string) (string, error) {
	data, err := encoding.DecodeString(sealed)
	if err != nil {
		return "", ErrInvalid
	}
	sum := sha256.Sum256(data)
	return base64.RawURLEncoding.EncodeToString(sum[:]), nil
}
