package claims

import (
	"slices"
	"strings"
)

// addGroupClaims writes idme_groups, idme_subgroups and the per-group
// booleans into out. A group counts only when an entry for it says verified;
// unverified entries still get their boolean (false) so policies see them.
func addGroupClaims(out map[string]any, known []string, groups []Group) {
	verified := make(map[string]bool, len(known)+len(groups))
	for _, g := range known {
		verified[g] = false
	}
	subgroups := []string{}
	seenSub := make(map[string]bool)
	for _, g := range groups {
		name := sanitiseGroup(g.Name)
		if name == "" {
			// Nothing to attribute the entry to; dropping it fails closed.
			continue
		}
		if !g.Verified {
			if _, ok := verified[name]; !ok {
				verified[name] = false
			}
			continue
		}
		verified[name] = true
		for _, s := range g.Subgroups {
			if strings.TrimSpace(s) == "" || seenSub[s] {
				continue
			}
			seenSub[s] = true
			subgroups = append(subgroups, s)
		}
	}

	names := []string{}
	for name, ok := range verified {
		out[groupClaim(name)] = ok
		if ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	// An empty array is left out rather than sent as []: B2C maps a JSON array to a
	// stringCollection, and an empty one has been seen to fail token issuance. The
	// per-group booleans still say "not verified".
	if len(names) > 0 {
		out[claimGroups] = names
	}
	if len(subgroups) > 0 {
		out[claimSubgroups] = subgroups
	}
}
