package provider

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
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

// tokenClaims encodes the released claims for a code: one JSON object without the protocol
// claim names, which only the bridge sets.
func tokenClaims(released map[string]any) (json.RawMessage, error) {
	out := make(map[string]any, len(released))
	for k, v := range released {
		if !protocolClaims[k] {
			out[k] = v
		}
	}
	raw, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("encode claims: %w", err)
	}
	return raw, nil
}

// encodeIDToken returns the id_token payload: the protocol claims, then claims, a JSON object
// from tokenClaims (so without protocol names), spliced in as it is. claims must come from
// tokenClaims, through the sealed code: only the braces are checked here, json.Marshal made
// the rest.
func encodeIDToken(proto idTokenProtocol, claims json.RawMessage) ([]byte, error) {
	head, err := json.Marshal(proto)
	if err != nil {
		return nil, fmt.Errorf("encode id_token: %w", err)
	}
	claims = bytes.TrimSpace(claims)
	if len(claims) < 2 || claims[0] != '{' || claims[len(claims)-1] != '}' {
		return nil, errors.New("encode id_token: claims are not a JSON object")
	}
	inner := bytes.TrimSpace(claims[1 : len(claims)-1])
	if len(inner) == 0 {
		return head, nil
	}
	b := make([]byte, 0, len(head)+1+len(inner)+1)
	b = append(b, head[:len(head)-1]...)
	b = append(b, ',')
	b = append(b, inner...)
	return append(b, '}'), nil
}

// atHash is the left half of the access token's SHA-256 (OIDC Core section 3.1.3.6, RS256).
func atHash(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}
