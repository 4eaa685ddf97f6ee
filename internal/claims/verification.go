package claims

// Group is one entry of ID.me's attributes.json "status" array, already parsed.
type Group struct {
	Name      string
	Subgroups []string
	Verified  bool
}

// Verification is what ID.me told us about one user.
type Verification struct {
	Attributes map[string]string // handle -> value; handles with null value are absent
	Groups     []Group
}
