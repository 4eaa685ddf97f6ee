package seal

import (
	"testing"
	"time"

	"idmebridge/internal/rsafloor"
)

// pending is shaped like the sign-in the bridge carries sealed through ID.me in state.
type pending struct {
	ClientID, RedirectURI, ResponseMode, State, Nonce string
	Scopes, IDmeScopes                                []string
	IDmeNonce, IDmeVerifier, Binding                  string
}

var benchPending = pending{
	ClientID: "b2c-contoso", RedirectURI: "https://contoso.b2clogin.com/contoso.onmicrosoft.com/oauth2/authresp",
	ResponseMode: "form_post", State: "StateProperties=eyJTSUQiOiJ4LXh4eC14eHgteHh4In0", Nonce: "defaultNonce0123456789",
	Scopes: []string{"openid"}, IDmeScopes: []string{"military"},
	IDmeNonce: "n0123456789abcdef0123456789abcdef", IDmeVerifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
	Binding: "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU",
}

func benchSealer(b *testing.B) *Sealer {
	b.Helper()
	key, err := ParseKey(NewKey())
	if err != nil {
		b.Fatal(err)
	}
	s, err := New(key, nil)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func BenchmarkSeal(b *testing.B) {
	s := benchSealer(b)
	b.ReportAllocs()
	m := rsafloor.StartMeter(b)
	for b.Loop() {
		if _, err := s.Seal("bench", benchPending, time.Minute); err != nil {
			b.Fatal(err)
		}
	}
	m.Report()
}

func BenchmarkOpen(b *testing.B) {
	s := benchSealer(b)
	sealed, err := s.Seal("bench", benchPending, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	m := rsafloor.StartMeter(b)
	for b.Loop() {
		var p pending
		if err := s.Open("bench", sealed, &p); err != nil {
			b.Fatal(err)
		}
	}
	m.Report()
}
