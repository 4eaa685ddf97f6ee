package claims

import (
	"testing"

	"idmebridge/internal/rsafloor"
)

// BenchmarkTranslate is the claim translation of one sign-in: a veteran with a full set of
// attributes and one verified group.
func BenchmarkTranslate(b *testing.B) {
	tr, err := NewTranslator(nil)
	if err != nil {
		b.Fatal(err)
	}
	v := Verification{
		Attributes: map[string]string{
			"uuid": "5f1c0c7e9a2b4d3e8f6a1b2c3d4e5f60", "fname": "Alex", "lname": "Rivera", "email": "alex@example.com",
			"zip": "22201", "birth_date": "1980-02-03", "phone": "+15555550100", "street": "1 Main St",
			"city": "Arlington", "state": "VA", "military_branch": "Army", "military_service_component": "Active",
		},
		Groups: []Group{{Name: "military", Subgroups: []string{"Veteran"}, Verified: true}},
	}
	b.ReportAllocs()
	m := rsafloor.StartMeter(b)
	for b.Loop() {
		if _, err := tr.Translate(v); err != nil {
			b.Fatal(err)
		}
	}
	m.Report()
}
