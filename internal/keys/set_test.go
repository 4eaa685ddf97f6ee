package keys

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

func TestSignAndVerifyWithPublishedJWKS(t *testing.T) {
	set, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := jwt.NewBuilder().Issuer("https://bridge.example").Subject("u1").Expiration(time.Now().Add(time.Minute)).Build()
	now := time.Now()
	signed, err := set.Sign(tok, now, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	body, etag, err := set.JWKS(now)
	if err != nil {
		t.Fatal(err)
	}
	if etag == "" || !strings.HasPrefix(etag, `"`) {
		t.Fatalf("etag %q is not a strong ETag", etag)
	}
	pub, err := jwk.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jwt.Parse(signed, jwt.WithKeySet(pub)); err != nil {
		t.Fatalf("token does not verify with published JWKS: %v", err)
	}
	msg, _ := jws.Parse(signed)
	hdr := msg.Signatures()[0].ProtectedHeaders()
	if hdr.KeyID() != set.SigningKeyID(now, time.Minute) || hdr.Algorithm() != jwa.RS256 {
		t.Fatalf("header kid=%q alg=%s", hdr.KeyID(), hdr.Algorithm())
	}
	var doc struct {
		Keys []map[string]any `json:"keys"`
	}
	_ = json.Unmarshal(body, &doc)
	if len(doc.Keys) != 1 {
		t.Fatalf("JWKS has %d keys", len(doc.Keys))
	}
	k := doc.Keys[0]
	for _, private := range []string{"d", "p", "q", "dp", "dq", "qi"} {
		if _, ok := k[private]; ok {
			t.Fatalf("JWKS publishes private member %q", private)
		}
	}
	if k["use"] != "sig" || k["alg"] != "RS256" || k["kty"] != "RSA" || k["kid"] == "" {
		t.Fatalf("JWKS key = %v", k)
	}
}

func TestParseRejects(t *testing.T) {
	good, _ := NewPrivateSet()
	var goodSet map[string][]map[string]any
	_ = json.Unmarshal(good, &goodSet)
	key := goodSet["keys"][0]

	mutate := func(f func(k map[string]any)) string {
		c := map[string]any{}
		for k, v := range key {
			c[k] = v
		}
		f(c)
		b, _ := json.Marshal(map[string]any{"keys": []any{c}})
		return string(b)
	}
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	smallJWK, _ := jwk.FromRaw(small)
	_ = smallJWK.Set(jwk.KeyIDKey, "small")
	smallSet := jwk.NewSet()
	_ = smallSet.AddKey(smallJWK)
	smallJSON, _ := json.Marshal(smallSet)
	dup, _ := json.Marshal(map[string]any{"keys": []any{key, key}})

	tests := []struct{ name, in, want string }{
		{"not json", "nope", "parse"},
		{"empty", `{"keys":[]}`, "no keys"},
		{"public only", mutate(func(k map[string]any) {
			delete(k, "d")
			delete(k, "p")
			delete(k, "q")
			delete(k, "dp")
			delete(k, "dq")
			delete(k, "qi")
		}), "private"},
		{"no kid", mutate(func(k map[string]any) { delete(k, "kid") }), "kid"},
		{"wrong alg", mutate(func(k map[string]any) { k["alg"] = "PS256" }), "alg"},
		{"wrong use", mutate(func(k map[string]any) { k["use"] = "enc" }), "use"},
		{"small key", string(smallJSON), "bits"},
		{"duplicate kid", string(dup), "duplicate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
	if _, err := Parse(good); err != nil {
		t.Fatalf("Parse(good) = %v", err)
	}
}

func TestSignPayloadVerifiesWithPublishedJWKS(t *testing.T) {
	set, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	payload := []byte(`{"iss":"https://bridge.example","sub":"u1","exp":` + strconv.FormatInt(now.Add(time.Minute).Unix(), 10) + `}`)
	signed, err := set.SignPayload(payload, now, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Parse(signed, jwt.WithKeySet(set.PublicSet(now)))
	if err != nil {
		t.Fatalf("payload signature does not verify with the published keys: %v", err)
	}
	if tok.Subject() != "u1" {
		t.Fatalf("sub = %q", tok.Subject())
	}
	msg, _ := jws.Parse(signed)
	hdr := msg.Signatures()[0].ProtectedHeaders()
	if hdr.KeyID() != set.SigningKeyID(now, time.Minute) || hdr.Algorithm() != jwa.RS256 {
		t.Fatalf("header kid=%q alg=%s", hdr.KeyID(), hdr.Algorithm())
	}
	if _, err := set.SignPayload(payload, now, 100*365*24*time.Hour); err != nil {
		t.Fatalf("unbounded key refused a long validity: %v", err)
	}
}
