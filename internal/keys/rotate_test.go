package keys

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"idmebridge/internal/secrets"
)

func publishedKids(t *testing.T, s *Set, now time.Time) []string {
	t.Helper()
	body, _, err := s.JWKS(now)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := jwk.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	var kids []string
	for i := 0; i < pub.Len(); i++ {
		k, _ := pub.Key(i)
		kids = append(kids, k.KeyID())
		if _, ok := k.Get(ParamSignsFrom); ok {
			t.Errorf("JWKS leaks %s", ParamSignsFrom)
		}
	}
	return kids
}

func signAt(t *testing.T, s *Set, now time.Time, ttl time.Duration) (string, []byte) {
	t.Helper()
	tok, _ := jwt.NewBuilder().Issuer("https://bridge.example").IssuedAt(now).Expiration(now.Add(ttl)).Build()
	signed, err := s.Sign(tok, now, ttl)
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := jws.Parse(signed)
	return msg.Signatures()[0].ProtectedHeaders().KeyID(), signed
}

// TestRotation walks a whole rotation: add a key (published, not signing), pass its start (it
// signs; tokens from the old key still verify), retire the old key after its last token
// expired, prune it.
func TestRotation(t *testing.T) {
	const ttl = 10 * time.Minute
	t0 := time.Unix(1_800_000_000, 0)
	data, err := NewPrivateSet()
	if err != nil {
		t.Fatal(err)
	}
	s1, _ := Parse(data)
	oldKid, oldToken := signAt(t, s1, t0, ttl)

	lead := 72 * time.Hour
	data, newKid, err := AddKey(data, t0.Add(lead), t0)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name          string
		at            time.Time
		wantSigner    string
		wantPublished []string
	}{
		{"just added: published, not signing", t0.Add(time.Second), oldKid, []string{oldKid, newKid}},
		{"before its start", t0.Add(lead - time.Second), oldKid, []string{oldKid, newKid}},
		{"after its start", t0.Add(lead), newKid, []string{oldKid, newKid}},
	}
	for _, st := range steps {
		kid, _ := signAt(t, s2, st.at, ttl)
		if kid != st.wantSigner {
			t.Errorf("%s: signed with %s, want %s", st.name, kid, st.wantSigner)
		}
		if got := publishedKids(t, s2, st.at); !slices.Equal(got, st.wantPublished) {
			t.Errorf("%s: published %v, want %v", st.name, got, st.wantPublished)
		}
	}
	// A token the old key signed still verifies with the JWKS after the switch.
	if _, err := jwt.Parse(oldToken, jwt.WithKeySet(s2.PublicSet(t0.Add(lead))), jwt.WithValidate(false)); err != nil {
		t.Fatalf("old token no longer verifies: %v", err)
	}

	// The old key cannot be retired while it signs.
	if _, err := RetireKey(data, oldKid, t0.Add(time.Hour), t0); !errors.Is(err, ErrRetireSigner) {
		t.Fatalf("retiring the signer: err = %v, want ErrRetireSigner", err)
	}
	switchAt := t0.Add(lead)
	retireAt := switchAt.Add(ttl + time.Minute) // after the last old-key token expired
	data, err = RetireKey(data, oldKid, retireAt, switchAt)
	if err != nil {
		t.Fatal(err)
	}
	s3, _ := Parse(data)
	if got := publishedKids(t, s3, retireAt.Add(-time.Second)); !slices.Equal(got, []string{oldKid, newKid}) {
		t.Errorf("before retirement: published %v", got)
	}
	if got := publishedKids(t, s3, retireAt); !slices.Equal(got, []string{newKid}) {
		t.Errorf("after retirement: published %v, want only %s", got, newKid)
	}
	data, removed, err := PruneKeys(data, retireAt)
	if err != nil || !slices.Equal(removed, []string{oldKid}) {
		t.Fatalf("prune removed %v, %v", removed, err)
	}
	s4, _ := Parse(data)
	if len(s4.Keys()) != 1 || s4.Keys()[0].KeyID != newKid {
		t.Fatalf("after prune: %+v", s4.Keys())
	}
}

// TestSignerSkipsKeysLeavingSoon checks that a key is not used for a token that would outlive
// its publication, and that with no usable key signing fails closed.
func TestSignerSkipsKeysLeavingSoon(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	data, _ := NewPrivateSet()
	var rs rawSet
	_ = json.Unmarshal(data, &rs)
	rs.Keys[0][ParamPublishedUntil] = t0.Add(5 * time.Minute).Unix()
	data, _ = json.Marshal(rs)
	s, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := jwt.NewBuilder().Build()
	if _, err := s.Sign(tok, t0, 10*time.Minute); !errors.Is(err, ErrNoSigningKey) {
		t.Fatalf("err = %v, want ErrNoSigningKey", err)
	}
	if _, err := s.Sign(tok, t0, time.Minute); err != nil {
		t.Fatalf("short token: %v", err)
	}
}

func TestRotationRejects(t *testing.T) {
	data, _ := NewPrivateSet()
	if _, err := RetireKey(data, "nope", time.Now().Add(time.Hour), time.Now().Add(-time.Hour*24*365*100)); err == nil {
		t.Error("retired an unknown kid")
	}
	if _, _, err := PruneKeys(data, time.Now()); err != nil {
		t.Errorf("prune of a live set: %v", err)
	}
	var rs rawSet
	_ = json.Unmarshal(data, &rs)
	rs.Keys[0][ParamSignsFrom] = "tomorrow"
	bad, _ := json.Marshal(rs)
	if _, err := Parse(bad); err == nil {
		t.Error("accepted a non-numeric signs_from")
	}
	rs.Keys[0][ParamSignsFrom] = 100
	rs.Keys[0][ParamPublishedUntil] = 50
	bad, _ = json.Marshal(rs)
	if _, err := Parse(bad); err == nil {
		t.Error("accepted published_until before signs_from")
	}
}

// TestFromSecretFollowsTheSecret checks that a new secret value is picked up, and that a
// broken one does not stop signing.
func TestFromSecretFollowsTheSecret(t *testing.T) {
	first, _ := NewPrivateSet()
	second, _ := NewPrivateSet()
	m := secrets.Map{"keys": string(first)}
	src := &FromSecret{Secrets: m, Name: "keys"}
	kidOf := func() string {
		s, err := src.Current(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return s.Keys()[0].KeyID
	}
	k1 := kidOf()
	m["keys"] = string(second)
	k2 := kidOf()
	if k1 == k2 {
		t.Fatal("new secret value not picked up")
	}
	m["keys"] = "{broken"
	if kidOf() != k2 {
		t.Fatal("a broken value replaced the last good set")
	}
	if _, err := (&FromSecret{Secrets: secrets.Map{}, Name: "keys"}).Current(context.Background()); !errors.Is(err, secrets.ErrNotFound) {
		t.Fatalf("missing secret: %v", err)
	}
}

// TestEditsRefuseUnsafeSets: a bare JWK (not a set) is refused rather than read as empty, and
// no edit may leave the set without a key that signs now.
func TestEditsRefuseUnsafeSets(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	data, _ := NewPrivateSet()
	var rs rawSet
	_ = json.Unmarshal(data, &rs)
	bare, _ := json.Marshal(rs.Keys[0])
	if _, _, err := AddKey(bare, now.Add(time.Hour), now); err == nil {
		t.Fatal("AddKey accepted a bare JWK and would have dropped the key in it")
	}
	// A set whose only key starts later cannot be produced by an edit.
	rs.Keys[0][ParamSignsFrom] = now.Add(time.Hour).Unix()
	later, _ := json.Marshal(rs)
	if _, _, err := AddKey(later, now.Add(2*time.Hour), now); !errors.Is(err, ErrNoSigningKey) {
		t.Fatalf("err = %v, want ErrNoSigningKey", err)
	}
}
