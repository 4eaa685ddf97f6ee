// Package keys holds the bridge's signing keys: the private RSA keys that sign id_tokens and
// the public JWKS document that B2C fetches to check them.
package keys

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

// MinRSABits is the smallest RSA modulus accepted for signing.
const MinRSABits = 2048

// Set is a parsed signing key set: the key that signs now, and every public key to publish.
type Set struct {
	signing jwk.Key
	jwks    []byte
	etag    string
}

// Parse reads a private JWK set (JSON, {"keys":[...]}). Every key must be an RSA private key of
// at least 2048 bits with a unique kid; the first key signs, all are published.
func Parse(data []byte) (*Set, error) {
	private, err := jwk.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("parse signing key set: %w", err)
	}
	if private.Len() == 0 {
		return nil, errors.New("signing key set has no keys")
	}
	public := jwk.NewSet()
	seen := map[string]bool{}
	var signing jwk.Key
	for i := 0; i < private.Len(); i++ {
		key, _ := private.Key(i)
		if err := checkPrivateKey(key); err != nil {
			return nil, fmt.Errorf("signing key %d: %w", i, err)
		}
		if seen[key.KeyID()] {
			return nil, fmt.Errorf("signing key %d: duplicate kid %q", i, key.KeyID())
		}
		seen[key.KeyID()] = true
		if err := key.Set(jwk.AlgorithmKey, jwa.RS256); err != nil {
			return nil, fmt.Errorf("signing key %d: %w", i, err)
		}
		if signing == nil {
			signing = key
		}
		pub, err := publicJWK(key)
		if err != nil {
			return nil, fmt.Errorf("signing key %d: %w", i, err)
		}
		if err := public.AddKey(pub); err != nil {
			return nil, fmt.Errorf("signing key %d: %w", i, err)
		}
	}
	body, err := json.Marshal(public)
	if err != nil {
		return nil, fmt.Errorf("encode JWKS: %w", err)
	}
	sum := sha256.Sum256(body)
	return &Set{
		signing: signing,
		jwks:    body,
		etag:    `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`,
	}, nil
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

func publicJWK(private jwk.Key) (jwk.Key, error) {
	pub, err := jwk.PublicKeyOf(private)
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

// Sign signs tok with the current signing key (RS256, kid in the header).
func (s *Set) Sign(tok jwt.Token) ([]byte, error) {
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.RS256, s.signing))
	if err != nil {
		return nil, fmt.Errorf("sign token: %w", err)
	}
	return signed, nil
}

// SigningKeyID is the kid of the key that signs now.
func (s *Set) SigningKeyID() string { return s.signing.KeyID() }

// JWKS returns the public JWK set document and a strong ETag for it.
func (s *Set) JWKS() (body []byte, etag string) { return s.jwks, s.etag }

// NewPrivateSet returns a private JWK set holding one fresh RSA-2048 key whose kid is its
// RFC 7638 thumbprint, so a kid is never reused for a different key.
func NewPrivateSet() ([]byte, error) {
	raw, err := rsa.GenerateKey(rand.Reader, MinRSABits)
	if err != nil {
		return nil, fmt.Errorf("generate RSA key: %w", err)
	}
	key, err := jwk.FromRaw(raw)
	if err != nil {
		return nil, fmt.Errorf("wrap RSA key: %w", err)
	}
	thumb, err := key.Thumbprint(cryptoSHA256)
	if err != nil {
		return nil, fmt.Errorf("thumbprint: %w", err)
	}
	for k, v := range map[string]any{jwk.KeyIDKey: base64.RawURLEncoding.EncodeToString(thumb), jwk.AlgorithmKey: jwa.RS256, jwk.KeyUsageKey: jwk.ForSignature} {
		if err := key.Set(k, v); err != nil {
			return nil, fmt.Errorf("set %s: %w", k, err)
		}
	}
	set := jwk.NewSet()
	if err := set.AddKey(key); err != nil {
		return nil, fmt.Errorf("add key: %w", err)
	}
	out, err := json.MarshalIndent(set, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode key set: %w", err)
	}
	return out, nil
}

// Generate returns a Set with one fresh key, for local runs without a configured key set.
func Generate() (*Set, error) {
	data, err := NewPrivateSet()
	if err != nil {
		return nil, err
	}
	return Parse(data)
}
