package authext

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"idmebridge/internal/verification"
)

// Claim names the extension returns. A claims-mapping policy on the application (Source
// CustomClaimsProvider, ID = these names) puts them into the token.
const (
	claimGroups     = "idme_groups"
	claimSubgroups  = "idme_subgroups"
	claimVerifiedAt = "idme_verified_at"
)

// claimsFor turns a verification record into External ID claims: strings and string arrays
// only (booleans become "true"/"false"), most important first, within the 3 KB limit. It also
// returns the names left out for size.
func claimsFor(rec *verification.Record) (map[string]any, []string) {
	type claim struct {
		name  string
		value any
	}
	var ordered []claim
	if groups := nonEmpty(rec.Groups); len(groups) > 0 {
		ordered = append(ordered, claim{claimGroups, groups})
	}
	if sub := nonEmpty(rec.Subgroups); len(sub) > 0 {
		ordered = append(ordered, claim{claimSubgroups, sub})
	}
	ordered = append(ordered, claim{claimVerifiedAt, rec.VerifiedAt.UTC().Format(time.RFC3339)})

	// Then the per-group booleans (verified ones first) and the other ID.me claims the record
	// kept (military branch and the like), each sorted so the answer is stable.
	var verified, unverified, others []claim
	for name, v := range rec.Claims {
		if !strings.HasPrefix(name, "idme_") || name == claimGroups || name == claimSubgroups {
			continue
		}
		switch v := v.(type) {
		case bool:
			if !strings.HasSuffix(name, "_verified") {
				continue
			}
			if v {
				verified = append(verified, claim{name, "true"})
			} else {
				unverified = append(unverified, claim{name, "false"})
			}
		case string:
			if strings.TrimSpace(v) != "" {
				others = append(others, claim{name, v})
			}
		}
	}
	for _, group := range [][]claim{verified, unverified, others} {
		slices.SortFunc(group, func(a, b claim) int { return strings.Compare(a.name, b.name) })
		ordered = append(ordered, group...)
	}

	out := map[string]any{}
	var dropped []string
	for _, c := range ordered {
		out[c.name] = c.value
		if size(out) > maxClaimsBytes {
			delete(out, c.name)
			dropped = append(dropped, c.name)
		}
	}
	return out, dropped
}

// size is the encoded size of the claims: a slight overestimate of External ID's "sum of keys
// and values", so the limit is never crossed.
func size(claims map[string]any) int {
	b, err := json.Marshal(claims)
	if err != nil {
		return maxClaimsBytes + 1
	}
	return len(b)
}

func nonEmpty(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return out
}
