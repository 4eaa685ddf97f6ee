package keyadmin

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"idmebridge/internal/keys"
)

// TestAddRefusesShortLead checks the lead floor: a key that would sign before relying parties
// can have fetched it is refused, on a valid key set (so only the lead can be the reason).
func TestAddRefusesShortLead(t *testing.T) {
	set, err := keys.NewPrivateSet()
	if err != nil {
		t.Fatal(err)
	}
	for lead, ok := range map[string]bool{"59m": false, "1m": false, "1h": true} {
		var out, errOut bytes.Buffer
		err := Run([]string{"add", "--lead", lead}, Input{Reader: strings.NewReader(string(set))}, &out, &errOut, time.Now())
		if ok != (err == nil) {
			t.Errorf("keys add --lead %s: %v, want ok=%v", lead, err, ok)
		}
	}
}
