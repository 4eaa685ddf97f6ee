package idme

import (
	"testing"
)

// FuzzParseAttributes reads arbitrary attributes.json bodies: never a panic, and a group is
// verified only if the body says "verified" true (as JSON true or the string "true").
// Seeds are here and in testdata/fuzz/FuzzParseAttributes.
func FuzzParseAttributes(f *testing.F) {
	for _, seed := range []string{
		`{"attributes":[{"handle":"fname","name":"First Name","value":"Ada"}],"status":[{"group":"military","subgroups":["Veteran"],"verified":true}]}`,
		`{"attributes":[{"handle":"zip","value":null}],"status":[{"group":"student","subgroups":null,"verified":"true"}]}`,
		`{"status":[{"group":"x","verified":1}]}`, `{"attributes":[{"handle":"a","value":{"x":1}}]}`,
		`null`, `[]`, `{"attributes":null}`, `"str"`, `{`, ``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := ParseAttributes(body)
		if err != nil {
			return
		}
		for _, s := range a.Status {
			if s.Verified && !containsTrue(body) {
				t.Fatalf("group %q verified without a true in %q", s.Group, body)
			}
		}
	})
}

func containsTrue(b []byte) bool {
	for i := 0; i+4 <= len(b); i++ {
		if (b[i]|0x20) == 't' && (b[i+1]|0x20) == 'r' && (b[i+2]|0x20) == 'u' && (b[i+3]|0x20) == 'e' {
			return true
		}
	}
	// JSON escapes can spell "true" inside a string.
	for _, c := range b {
		if c == '\\' {
			return true
		}
	}
	return false
}
