package keys

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"idmebridge/internal/rsafloor"
)

// BenchmarkRSA2048PKCS1v15 is the floor: one bare signature, nothing else.
func BenchmarkRSA2048PKCS1v15(b *testing.B) {
	k, err := rsafloor.Key()
	if err != nil {
		b.Fatal(err)
	}
	digest := sha256.Sum256([]byte("payload"))
	m := rsafloor.StartMeter(b)
	for b.Loop() {
		if err := rsafloor.Sign(k, digest[:]); err != nil {
			b.Fatal(err)
		}
	}
	m.Report()
}

func benchToken(b *testing.B) (*Set, jwt.Token, time.Time) {
	b.Helper()
	set, err := Generate()
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	tok, err := jwt.NewBuilder().Issuer("https://bridge.example").Subject("u1").Audience([]string{"client"}).
		IssuedAt(now).Expiration(now.Add(time.Hour)).Claim("nonce", "n-0123456789").Build()
	if err != nil {
		b.Fatal(err)
	}
	return set, tok, now
}

// BenchmarkSign is the bridge's signing path: the precomputed key held per entry.
func BenchmarkSign(b *testing.B) {
	set, tok, now := benchToken(b)
	b.ReportAllocs()
	m := rsafloor.StartMeter(b)
	for b.Loop() {
		if _, err := set.Sign(tok, now, time.Minute); err != nil {
			b.Fatal(err)
		}
	}
	m.Report()
}

// BenchmarkSignPayload signs claims already encoded as JSON.
func BenchmarkSignPayload(b *testing.B) {
	set, _, now := benchToken(b)
	payload := []byte(`{"iss":"https://bridge.example","sub":"u1","aud":"client","iat":1700000000,"exp":1700003600,"nonce":"n-0123456789"}`)
	b.ReportAllocs()
	m := rsafloor.StartMeter(b)
	for b.Loop() {
		if _, err := set.SignPayload(payload, now, time.Minute); err != nil {
			b.Fatal(err)
		}
	}
	m.Report()
}

// BenchmarkSignWithJWK is the path before keys were precomputed (jwx converting the jwk.Key
// on every signature), kept to show what the precomputation saves.
func BenchmarkSignWithJWK(b *testing.B) {
	set, tok, now := benchToken(b)
	e, err := set.signer(now, time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	m := rsafloor.StartMeter(b)
	for b.Loop() {
		if _, err := jwt.Sign(tok, jwt.WithKey(jwa.RS256, e.private)); err != nil {
			b.Fatal(err)
		}
	}
	m.Report()
}
