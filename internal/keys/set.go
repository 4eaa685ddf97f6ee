// Package keys holds the bridge's signing keys: the private RSA keys that sign id_tokens, when
// each one signs and is published, and the public JWKS document that B2C fetches to check them.
package keys

import (
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

// MinRSABits is the smallest RSA modulus accepted for signing.
const MinRSABits = 2048

// Rotation metadata, kept beside each private key in the key set (never published).
const (
	// ParamSignsFrom is when a key starts signing (unix seconds). Absent: from the start. A key
	// is published from the moment it is in the set, so the time between adding it and
	// ParamSignsFrom is how long relying parties have to fetch it before they see it in a token.
	ParamSignsFrom = "signs_from"
	// ParamPublishedUntil is when a retired key leaves the JWKS (unix seconds). It must be after
	// the last token signed with it has expired.
	ParamPublishedUntil = "published_until"
)

// ErrNoSigningKey means no key in the set may sign at the given time.
var ErrNoSigningKey = errors.New("no signing key is active")

// entry is one key of the set with its schedule.
type entry struct {
	private jwk.Key
	// signing is the private key exported once at load, with its CRT values precomputed:
	// signing with the jwk.Key would export and re-check a fresh *rsa.PrivateKey every time,
	// which costs a tenth of the signature itself.
	signing        *rsa.PrivateKey
	public         jwk.Key
	signsFrom      time.Time // zero: always
	publishedUntil time.Time // zero: forever
}

// Set is a parsed signing key set. It is immutable and safe for concurrent use.
type Set struct {
	entries []entry
}

// Parse reads a private JWK set (JSON, {"keys":[...]}). Every key must be an RSA private key of
// at least 2048 bits with a unique kid.
func Parse(data []byte) (*Set, error) {
	private, err := jwk.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("parse signing key set: %w", err)
	}
	if private.Len() == 0 {
		return nil, errors.New("signing key set has no keys")
	}
	s := &Set{}
	seen := map[string]bool{}
	for i := 0; i < private.Len(); i++ {
		key, _ := private.Key(i)
		e, err := newEntry(key)
		if err != nil {
			return nil, fmt.Errorf("signing key %d: %w", i, err)
		}
		if seen[key.KeyID()] {
			return nil, fmt.Errorf("signing key %d: duplicate kid %q", i, key.KeyID())
		}
		seen[key.KeyID()] = true
		s.entries = append(s.entries, e)
	}
	return s, nil
}

func newEntry(key jwk.Key) (entry, error) {
	if err := checkPrivateKey(key); err != nil {
		return entry{}, err
	}
	e := entry{private: key}
	var err error
	if e.signsFrom, err = timeParam(key, ParamSignsFrom); err != nil {
		return entry{}, err
	}
	if e.publishedUntil, err = timeParam(key, ParamPublishedUntil); err != nil {
		return entry{}, err
	}
	if !e.publishedUntil.IsZero() && !e.publishedUntil.After(e.signsFrom) {
		return entry{}, fmt.Errorf("key %s: %s is not after %s", key.KeyID(), ParamPublishedUntil, ParamSignsFrom)
	}
	if err := key.Set(jwk.AlgorithmKey, jwa.RS256); err != nil {
		return entry{}, err
	}
	if e.signing, err = signingKey(key); err != nil {
		return entry{}, err
	}
	if e.public, err = publicJWK(key); err != nil {
		return entry{}, err
	}
	return e, nil
}

// timeParam reads a unix-seconds private parameter; zero time when absent.
func timeParam(key jwk.Key, name string) (time.Time, error) {
	v, ok := key.Get(name)
	if !ok {
		return time.Time{}, nil
	}
	switch n := v.(type) {
	case float64:
		return time.Unix(int64(n), 0), nil
	case json.Number:
		i, err := n.Int64()
		if err != nil {
			return time.Time{}, fmt.Errorf("key %s: %s: %w", key.KeyID(), name, err)
		}
		return time.Unix(i, 0), nil
	default:
		return time.Time{}, fmt.Errorf("key %s: %s must be unix seconds, not %T", key.KeyID(), name, v)
	}
}

func checkPrivateKey(key jwk.Key) error {
	var raw rsa.PrivateKey
	if key.KeyType() != "RSA" {
		return fmt.Errorf("key type %s, want RSA (B2C accepts only RS256)", key.KeyType())
	}
	if err := key.Raw(&raw); err != nil {
		return fmt.Errorf("not an RSA private key: %w", err)
	}
	if raw.N.BitLen() < MinRSABits {
		return fmt.Errorf("RSA key is %d bits, want at least %d", raw.N.BitLen(), MinRSABits)
	}
	if key.KeyID() == "" {
		return errors.New("key has no kid")
	}
	if alg := key.Algorithm().String(); alg != "" && alg != jwa.RS256.String() {
		return fmt.Errorf("key alg %s, want RS256", alg)
	}
	if use, ok := key.Get(jwk.KeyUsageKey); ok && use != string(jwk.ForSignature) {
		return fmt.Errorf("key use %v, want sig", use)
	}
	return nil
}

// signingKey exports the private key once, validated and precomputed for signing.
func signingKey(key jwk.Key) (*rsa.PrivateKey, error) {
	raw := &rsa.PrivateKey{}
	if err := key.Raw(raw); err != nil {
		return nil, fmt.Errorf("key %s: %w", key.KeyID(), err)
	}
	if err := raw.Validate(); err != nil {
		return nil, fmt.Errorf("key %s: %w", key.KeyID(), err)
	}
	raw.Precompute()
	return raw, nil
}

// publicJWK is the published form of a key: public parts, kid, alg and use, nothing else.
func publicJWK(private jwk.Key) (jwk.Key, error) {
	var raw rsa.PrivateKey
	if err := private.Raw(&raw); err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	pub, err := jwk.FromRaw(&raw.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	for k, v := range map[string]any{jwk.KeyIDKey: private.KeyID(), jwk.AlgorithmKey: jwa.RS256, jwk.KeyUsageKey: jwk.ForSignature} {
		if err := pub.Set(k, v); err != nil {
			return nil, fmt.Errorf("public key %s: %w", k, err)
		}
	}
	return pub, nil
}

func (e entry) publishedAt(now time.Time) bool {
	return e.publishedUntil.IsZero() || now.Before(e.publishedUntil)
}

// signer returns the key that signs at now: of the keys whose start has come and that stay
// published for at least validity more (so every token it signs can be checked until it
// expires), the one that started last.
func (s *Set) signer(now time.Time, validity time.Duration) (entry, error) {
	var best *entry
	for i := range s.entries {
		e := &s.entries[i]
		if e.signsFrom.After(now) || !e.publishedAt(now.Add(validity)) {
			continue
		}
		if best == nil || e.signsFrom.After(best.signsFrom) {
			best = e
		}
	}
	if best == nil {
		return entry{}, ErrNoSigningKey
	}
	return *best, nil
}

// Sign signs tok at now with the key in force then (RS256, kid in the header). validity is how
// long the token lives: a key that leaves the JWKS before then is not used.
func (s *Set) Sign(tok jwt.Token, now time.Time, validity time.Duration) ([]byte, error) {
	e, err := s.signer(now, validity)
	if err != nil {
		return nil, err
	}
	hdr, err := e.header()
	if err != nil {
		return nil, err
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.RS256, e.signing, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		return nil, fmt.Errorf("sign token: %w", err)
	}
	return signed, nil
}

// SignPayload signs an already encoded JWT claims set (a JSON object) like Sign does, for
// callers that encode their claims from a struct.
func (s *Set) SignPayload(payload []byte, now time.Time, validity time.Duration) ([]byte, error) {
	e, err := s.signer(now, validity)
	if err != nil {
		return nil, err
	}
	hdr, err := e.header()
	if err != nil {
		return nil, err
	}
	if err := hdr.Set(jws.TypeKey, "JWT"); err != nil {
		return nil, fmt.Errorf("sign token: %w", err)
	}
	signed, err := jws.Sign(payload, jws.WithKey(jwa.RS256, e.signing, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		return nil, fmt.Errorf("sign token: %w", err)
	}
	return signed, nil
}

// header is the protected header of a token this key signs: its kid (alg is added by jws). It
// is made per signature because signing writes to it.
func (e entry) header() (jws.Headers, error) {
	hdr := jws.NewHeaders()
	if err := hdr.Set(jws.KeyIDKey, e.private.KeyID()); err != nil {
		return nil, fmt.Errorf("sign token: %w", err)
	}
	return hdr, nil
}

// SigningKeyID is the kid of the key that signs at now, or "" when none may.
func (s *Set) SigningKeyID(now time.Time, validity time.Duration) string {
	e, err := s.signer(now, validity)
	if err != nil {
		return ""
	}
	return e.private.KeyID()
}

// JWKS returns the public JWK set published at now and a strong ETag for it.
func (s *Set) JWKS(now time.Time) (body []byte, etag string, err error) {
	pub := jwk.NewSet()
	for _, e := range s.entries {
		if e.publishedAt(now) {
			if err := pub.AddKey(e.public); err != nil {
				return nil, "", fmt.Errorf("JWKS: %w", err)
			}
		}
	}
	body, err = json.Marshal(pub)
	if err != nil {
		return nil, "", fmt.Errorf("encode JWKS: %w", err)
	}
	sum := sha256.Sum256(body)
	return body, `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`, nil
}

// PublicSet returns the published keys at now, for verifying the bridge's own tokens.
func (s *Set) PublicSet(now time.Time) jwk.Set {
	pub := jwk.NewSet()
	for _, e := range s.entries {
		if e.publishedAt(now) {
			_ = pub.AddKey(e.public)
		}
	}
	return pub
}

// KeyState describes one key for an operator.
type KeyState struct {
	KeyID          string
	SignsFrom      time.Time // zero: from the start
	PublishedUntil time.Time // zero: not retired
}

// Keys lists the set's keys, earliest start first.
func (s *Set) Keys() []KeyState {
	out := make([]KeyState, 0, len(s.entries))
	for _, e := range s.entries {
		out = append(out, KeyState{KeyID: e.private.KeyID(), SignsFrom: e.signsFrom, PublishedUntil: e.publishedUntil})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].SignsFrom.Before(out[j].SignsFrom) })
	return out
}
