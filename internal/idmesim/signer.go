package idmesim

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

// signer holds the simulator's RS256 key, made fresh for every Simulator: nothing signed
// by one run verifies against another.
type signer struct {
	private jwk.Key
	jwks    []byte // the public JWK Set document
}

func newSigner() (*signer, error) {
	raw, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("idmesim: generate RSA key: %w", err)
	}
	priv, err := jwk.FromRaw(raw)
	if err != nil {
		return nil, fmt.Errorf("idmesim: wrap RSA key: %w", err)
	}
	thumb, err := priv.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("idmesim: key thumbprint: %w", err)
	}
	// The thumbprint makes a kid that differs per key, so a verifier holding a stale JWKS
	// fails loudly instead of trying the wrong key.
	kid := base64.RawURLEncoding.EncodeToString(thumb)
	for name, value := range map[string]any{
		jwk.KeyIDKey:     kid,
		jwk.AlgorithmKey: jwa.RS256,
		jwk.KeyUsageKey:  jwk.ForSignature,
	} {
		if err := priv.Set(name, value); err != nil {
			return nil, fmt.Errorf("idmesim: set %s: %w", name, err)
		}
	}
	pub, err := jwk.PublicKeyOf(priv)
	if err != nil {
		return nil, fmt.Errorf("idmesim: public key: %w", err)
	}
	set := jwk.NewSet()
	if err := set.AddKey(pub); err != nil {
		return nil, fmt.Errorf("idmesim: build JWKS: %w", err)
	}
	doc, err := json.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("idmesim: encode JWKS: %w", err)
	}
	return &signer{private: priv, jwks: doc}, nil
}

// signJWT returns the compact RS256 serialisation of tok with the key's kid in the header.
func (s *signer) signJWT(tok jwt.Token) (string, error) {
	out, err := jwt.Sign(tok, jwt.WithKey(jwa.RS256, s.private))
	if err != nil {
		return "", fmt.Errorf("idmesim: sign JWT: %w", err)
	}
	return string(out), nil
}
