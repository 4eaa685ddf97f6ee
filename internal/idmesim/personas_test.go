package idmesim

import (
	"encoding/json"
	"regexp"
	"testing"
)

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestPersonasAreWellFormed(t *testing.T) {
	ids, uuids := map[string]bool{}, map[string]bool{}
	for _, p := range Personas() {
		t.Run(p.ID, func(t *testing.T) {
			if ids[p.ID] || uuids[p.UUID] {
				t.Fatalf("duplicate id or uuid")
			}
			ids[p.ID], uuids[p.UUID] = true, true
			if !uuidPattern.MatchString(p.UUID) || p.Label == "" {
				t.Errorf("uuid %q label %q", p.UUID, p.Label)
			}
			if got := p.attribute("uuid"); got != p.UUID {
				t.Errorf("uuid attribute %q != UUID %q", got, p.UUID)
			}
			for _, h := range []string{"fname", "lname", "email", "zip"} {
				if p.attribute(h) == "" {
					t.Errorf("missing %s", h)
				}
			}
			seen := map[string]bool{}
			for _, a := range p.Attributes {
				if seen[a.Handle] || a.Name == "" {
					t.Errorf("attribute %+v duplicated or unnamed", a)
				}
				seen[a.Handle] = true
			}
		})
	}
	for _, want := range []string{"veteran", "service_member", "student", "teacher", "responder", "ial2", "unverified", "cancel"} {
		if !ids[want] {
			t.Errorf("persona %s missing", want)
		}
	}
}

// TestPersonasCoverLenientShapes keeps the loose wire shapes in the cast, so consumers keep
// being tested against them.
func TestPersonasCoverLenientShapes(t *testing.T) {
	var nullValue, nullSubgroups, absentSubgroups, stringVerified bool
	for _, p := range Personas() {
		for _, a := range p.Attributes {
			nullValue = nullValue || a.Value == nil
		}
		for _, st := range p.Status {
			raw, err := json.Marshal(st)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
			sub, has := m["subgroups"]
			nullSubgroups = nullSubgroups || (has && sub == nil)
			absentSubgroups = absentSubgroups || !has
			stringVerified = stringVerified || m["verified"] == "true"
		}
	}
	if !nullValue || !nullSubgroups || !absentSubgroups || !stringVerified {
		t.Errorf("null value %v, null subgroups %v, absent subgroups %v, string verified %v",
			nullValue, nullSubgroups, absentSubgroups, stringVerified)
	}
}

func TestPersonasReturnsFreshCopies(t *testing.T) {
	a := Personas()
	*a[0].Attributes[1].Value = "changed"
	a[0].Status[0].Subgroups[0] = "changed"
	a[0].Label = "changed"
	b := Personas()
	if *b[0].Attributes[1].Value == "changed" || b[0].Status[0].Subgroups[0] == "changed" || b[0].Label == "changed" {
		t.Fatal("Personas shares state between calls")
	}
}

func TestStatusMarshalJSON(t *testing.T) {
	tests := []struct {
		in   Status
		want string
	}{
		{Status{Group: "military", Subgroups: []string{"Veteran"}, Verified: true}, `{"group":"military","subgroups":["Veteran"],"verified":true}`},
		{Status{Group: "student", Verified: true}, `{"group":"student","subgroups":null,"verified":true}`},
		{Status{Group: "teacher", Verified: true, OmitSubgroups: true}, `{"group":"teacher","verified":true}`},
		{Status{Group: "nurse", Subgroups: []string{}, VerifiedAsString: true}, `{"group":"nurse","subgroups":[],"verified":"false"}`},
	}
	for _, tt := range tests {
		got, err := json.Marshal(tt.in)
		if err != nil || string(got) != tt.want {
			t.Errorf("Marshal(%+v) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}
