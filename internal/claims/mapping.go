package claims

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidMapping is wrapped by every error about a bad mapping row or
// mapping configuration.
var ErrInvalidMapping = errors.New("claims: invalid mapping")

// Mapping is one row of the translation table: ID.me attribute handle -> claim name.
type Mapping struct{ Handle, Claim string }

// ParseMappings reads an operator's extra rows "handle=claim,handle=claim"
// (empty string: none). Whitespace around handles and claims is ignored;
// empty rows, rows without exactly one '=', invalid names and repeated
// handles are errors, so a typo in configuration stops startup instead of
// silently dropping a claim.
func ParseMappings(s string) ([]Mapping, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	rows := strings.Split(s, ",")
	out := make([]Mapping, 0, len(rows))
	seen := make(map[string]bool, len(rows))
	for i, row := range rows {
		handle, claim, ok := strings.Cut(row, "=")
		if !ok {
			if strings.TrimSpace(row) == "" {
				return nil, fmt.Errorf("%w: row %d is empty", ErrInvalidMapping, i+1)
			}
			return nil, fmt.Errorf("%w: row %d has no '='", ErrInvalidMapping, i+1)
		}
		if strings.Contains(claim, "=") {
			return nil, fmt.Errorf("%w: row %d has more than one '='", ErrInvalidMapping, i+1)
		}
		m := Mapping{Handle: strings.TrimSpace(handle), Claim: strings.TrimSpace(claim)}
		if err := checkName("handle", m.Handle); err != nil {
			return nil, fmt.Errorf("row %d: %w", i+1, err)
		}
		if err := checkName("claim", m.Claim); err != nil {
			return nil, fmt.Errorf("row %d: %w", i+1, err)
		}
		if seen[m.Handle] {
			return nil, fmt.Errorf("%w: row %d repeats handle %q", ErrInvalidMapping, i+1, m.Handle)
		}
		seen[m.Handle] = true
		out = append(out, m)
	}
	return out, nil
}
