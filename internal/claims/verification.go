package claims

import "time"

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
	// ReadAt is when the bridge read ID.me's answer; it becomes idme_verified_at, so that a
	// token carried on (a B2C refresh) still says how old its verification is.
	ReadAt time.Time
}
