package idmesim

import (
	"encoding/json"
	"strconv"
)

// Persona is a made-up ID.me user a human (or a test) picks on the authorize page.
type Persona struct {
	ID, Label string
	UUID      string
	// Attributes are sent in attributes.json in this order; they include the uuid handle.
	Attributes []Attribute
	// Status holds the groups this persona is verified in. A group requested in scope and
	// absent here comes back as verified false; an "identity" entry marks an
	// identity-verified (IAL2) persona.
	Status []Status
	// Cancels makes the persona decline at ID.me: the client gets error=access_denied.
	Cancels bool
}

// Attribute is one entry of attributes.json "attributes".
type Attribute struct {
	Handle string  `json:"handle"`
	Name   string  `json:"name"`
	Value  *string `json:"value"` // nil is sent as null, as ID.me does for unset attributes
}

// Status is one entry of attributes.json "status". The two wire flags reproduce loose shapes
// ID.me is known to send, so that consumers are exercised against them.
type Status struct {
	Group     string
	Subgroups []string // nil is sent as null unless OmitSubgroups
	Verified  bool

	OmitSubgroups    bool // leave "subgroups" out entirely
	VerifiedAsString bool // send "verified":"true" instead of a boolean
}

// MarshalJSON writes the entry the way ID.me's attributes.json carries it.
func (s Status) MarshalJSON() ([]byte, error) {
	wire := struct {
		Group     string          `json:"group"`
		Subgroups json.RawMessage `json:"subgroups,omitempty"`
		Verified  any             `json:"verified"`
	}{Group: s.Group, Verified: s.Verified}
	if !s.OmitSubgroups {
		sub, err := json.Marshal(s.Subgroups)
		if err != nil {
			return nil, err
		}
		wire.Subgroups = sub
	}
	if s.VerifiedAsString {
		wire.Verified = strconv.FormatBool(s.Verified)
	}
	return json.Marshal(wire)
}

// Persona IDs with special meaning.
const (
	personaCancel = "cancel"
	identityGroup = "identity"
)

// Personas returns the simulator's cast, a fresh copy on each call.
func Personas() []Persona {
	ial2 := func() Status { return Status{Group: identityGroup, Subgroups: []string{"IAL2"}, Verified: true} }
	return []Persona{
		{
			ID: "veteran", Label: "Veteran (military: Veteran, identity verified)",
			UUID: "5f1c0c7e9a2b4d3e8f6a1b2c3d4e5f60",
			Attributes: attrs("5f1c0c7e9a2b4d3e8f6a1b2c3d4e5f60",
				"fname", "Vera", "lname", "Veteran", "email", "vera.veteran@example.com", "email_verified", "true", "zip", "22201",
				"military_branch", "Army", "military_service_component", "Active Duty",
				"military_service_started", "2004-06-01"),
			Status: []Status{
				{Group: "military", Subgroups: []string{"Veteran"}, Verified: true},
				ial2(),
			},
		},
		{
			ID: "service_member", Label: "Service member (military: Service Member)",
			UUID: "8a7b6c5d4e3f4a1b9c8d7e6f5a4b3c21",
			Attributes: attrs("8a7b6c5d4e3f4a1b9c8d7e6f5a4b3c21",
				"fname", "Sam", "lname", "Service", "email", "sam.service@example.com", "zip", "92134",
				"military_branch", "Navy", "military_service_component", "Reserve",
				"military_service_started", nil),
			// ID.me has been seen sending verified as a string.
			Status: []Status{{Group: "military", Subgroups: []string{"Service Member"}, Verified: true, VerifiedAsString: true}},
		},
		{
			ID: "student", Label: "Student",
			UUID: "1d2e3f4a5b6c4d7e8f9a0b1c2d3e4f5a",
			Attributes: attrs("1d2e3f4a5b6c4d7e8f9a0b1c2d3e4f5a",
				"fname", "Stella", "lname", "Student", "email", "stella.student@example.com", "zip", "02139",
				"phone", nil),
			Status: []Status{{Group: "student", Verified: true}}, // subgroups: null
		},
		{
			ID: "teacher", Label: "Teacher",
			UUID: "9e8d7c6b5a4f4e3d2c1b0a9f8e7d6c5b",
			Attributes: attrs("9e8d7c6b5a4f4e3d2c1b0a9f8e7d6c5b",
				"fname", "Theo", "lname", "Teacher", "email", "theo.teacher@example.com", "zip", "60601"),
			Status: []Status{{Group: "teacher", Verified: true, OmitSubgroups: true}},
		},
		{
			ID: "responder", Label: "First responder",
			UUID: "3c4d5e6f7a8b4c9d0e1f2a3b4c5d6e7f",
			Attributes: attrs("3c4d5e6f7a8b4c9d0e1f2a3b4c5d6e7f",
				"fname", "Rita", "lname", "Responder", "email", "rita.responder@example.com", "zip", "80202"),
			Status: []Status{{Group: "responder", Subgroups: []string{"EMT"}, Verified: true}},
		},
		{
			ID: "ial2", Label: "Identity verified (IAL2), no community",
			UUID: "6b5a4c3d2e1f4a0b9c8d7e6f5a4b3c2d",
			Attributes: attrs("6b5a4c3d2e1f4a0b9c8d7e6f5a4b3c2d",
				"fname", "Ida", "lname", "Identity", "email", "ida.identity@example.com", "zip", "10001",
				"birth_date", "1985-03-14", "phone", "+12025550143", "street", "1 Main St",
				"city", "New York", "state", "NY"),
			Status: []Status{ial2()},
		},
		{
			ID: "unverified", Label: "Signed in, nothing verified",
			UUID: "0f1e2d3c4b5a49687f6e5d4c3b2a1908",
			Attributes: attrs("0f1e2d3c4b5a49687f6e5d4c3b2a1908",
				"fname", "Uma", "lname", "Unverified", "email", "uma.unverified@example.com", "zip", "73301",
				"birth_date", nil),
		},
		{
			ID: personaCancel, Label: "Decline (cancel at ID.me)",
			UUID: "c0c1c2c3c4c54c6c7c8c9cacbcccdcec",
			Attributes: attrs("c0c1c2c3c4c54c6c7c8c9cacbcccdcec",
				"fname", "Cass", "lname", "Cancel", "email", "cass.cancel@example.com", "zip", "30301"),
			Cancels: true,
		},
	}
}

// attrs builds an attribute list from handle/value pairs (value a string or nil for null),
// with the uuid handle first.
func attrs(uuid string, pairs ...any) []Attribute {
	out := []Attribute{{Handle: "uuid", Name: attributeName("uuid"), Value: &uuid}}
	for i := 0; i+1 < len(pairs); i += 2 {
		handle, _ := pairs[i].(string)
		a := Attribute{Handle: handle, Name: attributeName(handle)}
		if v, ok := pairs[i+1].(string); ok {
			a.Value = &v
		}
		out = append(out, a)
	}
	return out
}

// attributeName is the display name ID.me pairs with a handle.
func attributeName(handle string) string {
	switch handle {
	case "uuid":
		return "Unique Identifier"
	case "fname":
		return "First Name"
	case "lname":
		return "Last Name"
	case "email":
		return "Email"
	case "email_verified":
		return "Email Verified"
	case "zip":
		return "Zip Code"
	case "birth_date":
		return "Birth Date"
	case "phone":
		return "Phone"
	case "street":
		return "Street"
	case "city":
		return "City"
	case "state":
		return "State"
	case "military_branch":
		return "Military Branch"
	case "military_service_component":
		return "Military Service Component"
	case "military_service_started":
		return "Military Service Started"
	}
	return handle
}

// attribute returns the value of a handle, "" when absent or null.
func (p Persona) attribute(handle string) string {
	for _, a := range p.Attributes {
		if a.Handle == handle && a.Value != nil {
			return *a.Value
		}
	}
	return ""
}

// status returns the persona's entry for a group.
func (p Persona) status(group string) (Status, bool) {
	for _, st := range p.Status {
		if st.Group == group {
			return st, true
		}
	}
	return Status{}, false
}
