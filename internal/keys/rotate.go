package keys

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// The operations below edit a private key set as JSON, so that every field an operator or
// another tool put there survives. Each returns the new set; storing it (a new Key Vault secret
// version) is the caller's job.

type rawSet struct {
	Keys []map[string]any `json:"keys"`
}

// decodeRaw reads a key set as JSON, refusing anything that is not a {"keys":[...]} set the
// bridge itself reads the same way (a bare JWK would otherwise read as an empty set here).
func decodeRaw(data []byte) (rawSet, *Set, error) {
	set, err := Parse(data)
	if err != nil {
		return rawSet{}, nil, err
	}
	var rs rawSet
	if err := json.Unmarshal(data, &rs); err != nil {
		return rawSet{}, nil, fmt.Errorf("parse signing key set: %w", err)
	}
	if len(rs.Keys) != len(set.entries) {
		return rawSet{}, nil, errors.New(`signing key set must be a JWK set: {"keys":[...]}`)
	}
	return rs, set, nil
}

// encode returns the set as JSON, refusing one the bridge could not sign with at now.
func (rs rawSet) encode(now time.Time) ([]byte, error) {
	out, err := json.MarshalIndent(rs, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode key set: %w", err)
	}
	set, err := Parse(out)
	if err != nil {
		return nil, err
	}
	if set.SigningKeyID(now, 0) == "" {
		return nil, fmt.Errorf("the new set would have no key that signs now: %w", ErrNoSigningKey)
	}
	return out, nil
}

// newKey returns a fresh RSA-2048 private JWK whose kid is its RFC 7638 thumbprint, so a kid
// is never reused for a different key.
func newKey() (map[string]any, string, error) {
	raw, err := rsa.GenerateKey(rand.Reader, MinRSABits)
	if err != nil {
		return nil, "", fmt.Errorf("generate RSA key: %w", err)
	}
	key, err := jwk.FromRaw(raw)
	if err != nil {
		return nil, "", fmt.Errorf("wrap RSA key: %w", err)
	}
	thumb, err := key.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, "", fmt.Errorf("thumbprint: %w", err)
	}
	kid := base64.RawURLEncoding.EncodeToString(thumb)
	for k, v := range map[string]any{jwk.KeyIDKey: kid, jwk.AlgorithmKey: jwa.RS256, jwk.KeyUsageKey: jwk.ForSignature} {
		if err := key.Set(k, v); err != nil {
			return nil, "", fmt.Errorf("set %s: %w", k, err)
		}
	}
	b, err := json.Marshal(key)
	if err != nil {
		return nil, "", err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, "", err
	}
	return m, kid, nil
}

// NewPrivateSet returns a key set holding one fresh key that signs at once.
func NewPrivateSet() ([]byte, error) {
	k, _, err := newKey()
	if err != nil {
		return nil, err
	}
	return rawSet{Keys: []map[string]any{k}}.encode(time.Now())
}

// AddKey adds a fresh key that starts signing at signsFrom. It is published from the moment
// the new set is stored, so signsFrom should be at least as far off as relying parties may
// cache the JWKS.
func AddKey(data []byte, signsFrom, now time.Time) ([]byte, string, error) {
	rs, _, err := decodeRaw(data)
	if err != nil {
		return nil, "", err
	}
	k, kid, err := newKey()
	if err != nil {
		return nil, "", err
	}
	k[ParamSignsFrom] = signsFrom.Unix()
	rs.Keys = append(rs.Keys, k)
	out, err := rs.encode(now)
	return out, kid, err
}

// ErrRetireSigner means the key asked to be retired is the one signing now: add a successor
// and let it start first.
var ErrRetireSigner = errors.New("the key is signing now; add a newer key and wait until it signs")

// RetireKey stops publishing kid at publishedUntil, which must be after every token it signed
// has expired. The key must not be the one signing at now.
func RetireKey(data []byte, kid string, publishedUntil, now time.Time) ([]byte, error) {
	rs, current, err := decodeRaw(data)
	if err != nil {
		return nil, err
	}
	if current.SigningKeyID(now, 0) == kid {
		return nil, fmt.Errorf("retire %s: %w", kid, ErrRetireSigner)
	}
	found := false
	for _, k := range rs.Keys {
		if k[jwk.KeyIDKey] == kid {
			k[ParamPublishedUntil] = publishedUntil.Unix()
			found = true
		}
	}
	if !found {
		return nil, fmt.Errorf("retire: no key with kid %q", kid)
	}
	return rs.encode(now)
}

// PruneKeys removes keys that are no longer published at now. Their kids are never reused,
// because a kid is the key's thumbprint.
func PruneKeys(data []byte, now time.Time) ([]byte, []string, error) {
	rs, set, err := decodeRaw(data)
	if err != nil {
		return nil, nil, err
	}
	var kept []map[string]any
	var removed []string
	for i, k := range rs.Keys {
		if set.entries[i].publishedAt(now) {
			kept = append(kept, k)
		} else {
			removed = append(removed, set.entries[i].private.KeyID())
		}
	}
	if len(kept) == 0 {
		return nil, nil, errors.New("prune would remove every key")
	}
	rs.Keys = kept
	out, err := rs.encode(now)
	return out, removed, err
}

// Generate returns a Set with one fresh key, for local runs without a configured key set.
func Generate() (*Set, error) {
	data, err := NewPrivateSet()
	if err != nil {
		return nil, err
	}
	return Parse(data)
}
