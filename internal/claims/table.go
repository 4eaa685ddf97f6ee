package claims

// DefaultMappings returns the translation table from ID.me attribute handles
// to claim names. It returns a fresh slice on each call so callers may modify
// it freely.
func DefaultMappings() []Mapping {
	return []Mapping{
		{Handle: "uuid", Claim: "sub"},
		{Handle: "fname", Claim: "given_name"},
		{Handle: "lname", Claim: "family_name"},
		{Handle: "email", Claim: "email"},
		{Handle: "zip", Claim: "postal_code"},
		{Handle: "birth_date", Claim: "birthdate"},
		{Handle: "phone", Claim: "phone_number"},
		{Handle: "street", Claim: "street_address"},
		{Handle: "city", Claim: "locality"},
		{Handle: "state", Claim: "region"},
		{Handle: "military_branch", Claim: "idme_military_branch"},
		{Handle: "military_service_component", Claim: "idme_military_service_component"},
		{Handle: "military_service_started", Claim: "idme_military_service_started"},
	}
}

// knownGroups lists the ID.me groups whose idme_<group>_verified claim is
// always emitted, so a B2C policy can map them even when ID.me is silent.
func knownGroups() []string {
	return []string{
		"military",
		"responder",
		"student",
		"teacher",
		"government",
		"employee",
		"hospital_employee",
		"alumni",
		"nurse",
		"medical",
		"identity",
	}
}
