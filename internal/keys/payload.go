package keys

import (
	"fmt"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// SignPayload signs an already encoded JWT claims set (JSON) with the key that signs at now,
// RS256 with its kid and typ JWT: callers encode their claims from a struct, once.
func (s *Set) SignPayload(payload []byte, now time.Time, validity time.Duration) ([]byte, error) {
	e, err := s.signer(now, validity)
	if err != nil {
		return nil, err
	}
	hdr := jws.NewHeaders()
	if err := hdr.Set(jws.KeyIDKey, e.private.KeyID()); err != nil {
		return nil, fmt.Errorf("sign token: %w", err)
	}
	if err := hdr.Set(jws.TypeKey, "JWT"); err != nil {
		return nil, fmt.Errorf("sign token: %w", err)
	}
	signed, err := jws.Sign(payload, jws.WithKey(jwa.RS256, e.private, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		return nil, fmt.Errorf("sign token: %w", err)
	}
	return signed, nil
}
