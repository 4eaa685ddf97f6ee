package idmesim

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

// Signing algorithms the simulator can sign id_tokens and userinfo with. ID.me advertises both.
const (
	RS256 = "RS256"
	ES256 = "ES256"
)

// signer holds the simulator's signing key, made fresh for every Simulator: nothing signed
// by one run verifies against another.
type signer struct {
	alg  jwa.SignatureAlgorithm
	raw  crypto.Signer // the exported key jwx signs with, precomputed where that applies
	kid  string
	jwks []byte // the public JWK Set document
}

// newSigner makes a key for alg: RS256 (RSA-2048, the default) or ES256 (P-256, about thirty
// times cheaper to sign with, which keeps the simulator light under load).
func newSigner(alg string) (*signer, error) {
	var (
		raw crypto.Signer
		sa  jwa.SignatureAlgorithm
	)
	switch alg {
	case "", RS256:
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, fmt.Errorf("idmesim: generate RSA key: %w", err)
		}
		k.Precompute()
		raw, sa = k, jwa.RS256
	case ES256:
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("idmesim: generate EC key: %w", err)
		}
		raw, sa = k, jwa.ES256
	default:
		return nil, fmt.Errorf("idmesim: signing algorithm %q, want %s or %s", alg, RS256, ES256)
	}
	pub, err := jwk.FromRaw(raw.Public())
	if err != nil {
		return nil, fmt.Errorf("idmesim: wrap public key: %w", err)
	}
	thumb, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("idmesim: key thumbprint: %w", err)
	}
	// The thumbprint makes a kid that differs per key, so a verifier holding a stale JWKS
	// fails loudly instead of trying the wrong key.
	kid := base64.RawURLEncoding.EncodeToString(thumb)
	for name, value := range map[string]any{
		jwk.KeyIDKey:     kid,
		jwk.AlgorithmKey: sa,
		jwk.KeyUsageKey:  jwk.ForSignature,
	} {
		if err := pub.Set(name, value); err != nil {
			return nil, fmt.Errorf("idmesim: set %s: %w", name, err)
		}
	}
	set := jwk.NewSet()
	if err := set.AddKey(pub); err != nil {
		return nil, fmt.Errorf("idmesim: build JWKS: %w", err)
	}
	doc, err := json.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("idmesim: encode JWKS: %w", err)
	}
	return &signer{alg: sa, raw: raw, kid: kid, jwks: doc}, nil
}

// signJWT returns the compact serialisation of tok signed with the key, its kid in the header.
func (s *signer) signJWT(tok jwt.Token) (string, error) {
	hdr, err := s.header()
	if err != nil {
		return "", err
	}
	out, err := jwt.Sign(tok, jwt.WithKey(s.alg, s.raw, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		return "", fmt.Errorf("idmesim: sign JWT: %w", err)
	}
	return string(out), nil
}

// signPayload signs an encoded JWT claims set like signJWT does.
func (s *signer) signPayload(payload []byte) (string, error) {
	hdr, err := s.header()
	if err != nil {
		return "", err
	}
	out, err := jws.Sign(payload, jws.WithKey(s.alg, s.raw, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		return "", fmt.Errorf("idmesim: sign JWT: %w", err)
	}
	return string(out), nil
}

// header is a protected header naming the key; made per signature, since signing writes to it.
func (s *signer) header() (jws.Headers, error) {
	hdr := jws.NewHeaders()
	if err := hdr.Set(jws.KeyIDKey, s.kid); err != nil {
		return nil, fmt.Errorf("idmesim: sign JWT: %w", err)
	}
	return hdr, nil
}
