package claims

import (
	"slices"
	"testing"
)

// TestEmailVerified: email_verified is true only when ID.me said so, false beside an email ID.me
// did not vouch for, and absent without an email.
func TestEmailVerified(t *testing.T) {
	tests := []struct {
		name    string
		attrs   map[string]string
		want    any // nil: absent
		present bool
	}{
		{"string true", map[string]string{"email": "a@example.com", "email_verified": "true"}, true, true},
		{"boolean true (rendered)", map[string]string{"email": "a@example.com", "email_verified": "TRUE "}, true, true},
		{"string false", map[string]string{"email": "a@example.com", "email_verified": "false"}, false, true},
		{"not sent", map[string]string{"email": "a@example.com"}, false, true},
		{"garbage", map[string]string{"email": "a@example.com", "email_verified": "yes"}, false, true},
		{"no email", map[string]string{"email_verified": "true"}, nil, false},
		{"blank email", map[string]string{"email": "  ", "email_verified": "true"}, nil, false},
	}
	tr := mustTranslator(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			attrs := map[string]string{"uuid": "u"}
			for k, v := range tt.attrs {
				attrs[k] = v
			}
			got := mustTranslate(t, tr, Verification{Attributes: attrs})
			v, ok := got["email_verified"]
			if ok != tt.present || (ok && v != tt.want) {
				t.Fatalf("email_verified = %#v (present %v), want %#v (present %v)", v, ok, tt.want, tt.present)
			}
		})
	}
}

// TestEmailVerifiedFollowsTheEmailClaim: with email moved to another claim, email_verified is
// neither emitted nor advertised.
func TestEmailVerifiedFollowsTheEmailClaim(t *testing.T) {
	if !slices.Contains(mustTranslator(t, nil).ClaimNames(), "email_verified") {
		t.Error("default ClaimNames lacks email_verified")
	}
	tr := mustTranslator(t, []Mapping{{"email", "mail"}})
	if slices.Contains(tr.ClaimNames(), "email_verified") {
		t.Error("ClaimNames advertises email_verified without an email claim")
	}
	got := mustTranslate(t, tr, Verification{Attributes: map[string]string{"uuid": "u", "email": "a@example.com", "email_verified": "true"}})
	if _, ok := got["email_verified"]; ok {
		t.Error("email_verified emitted without an email claim")
	}
}
