package provider

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
)

// idTokenProtocol are the claims the bridge itself sets: encoded from a struct, and always the
// last word (a translated claim of the same name is dropped, never merged).
type idTokenProtocol struct {
	Issuer   string `json:"iss"`
	Subject  string `json:"sub"`
	Audience string `json:"aud"`
	Expires  int64  `json:"exp"`
	IssuedAt int64  `json:"iat"`
	AuthTime int64  `json:"auth_time"`
	Nonce    string `json:"nonce,omitempty"`
	AtHash   string `json:"at_hash,omitempty"`
}

// protocolClaims are names no translated claim may supply.
var protocolClaims = map[string]bool{
	"iss": true, "sub": true, "aud": true, "exp": true, "iat": true, "nbf": true, "auth_time": true,
	"nonce": true, "at_hash": true, "c_hash": true, "azp": true, "jti": true, "amr": true, "acr": true, "sid": true,
}

// encodeIDToken returns the id_token payload: the protocol claims, then the translated claims
// whose names are not protocol claims.
func encodeIDToken(proto idTokenProtocol, translated map[string]any) ([]byte, error) {
	head, err := json.Marshal(proto)
	if err != nil {
		return nil, fmt.Errorf("encode id_token: %w", err)
	}
	extra := make(map[string]any, len(translated))
	for k, v := range translated {
		if !protocolClaims[k] {
			extra[k] = v
		}
	}
	if len(extra) == 0 {
		return head, nil
	}
	tail, err := json.Marshal(extra)
	if err != nil {
		return nil, fmt.Errorf("encode id_token: %w", err)
	}
	var b bytes.Buffer
	b.Grow(len(head) + len(tail))
	b.Write(head[:len(head)-1])
	b.WriteByte(',')
	b.Write(tail[1:])
	return b.Bytes(), nil
}

// atHash is the left half of the access token's SHA-256 (OIDC Core section 3.1.3.6, RS256).
func atHash(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}
