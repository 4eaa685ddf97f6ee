package demorp

import (
	"fmt"
	"testing"
	"time"
)

func TestPendingLoginsDropOldestPastTheBound(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	p := newPendingLogins(pendingTTL, 3)
	for i := range 4 {
		p.add(fmt.Sprint("s", i), pendingLogin{nonce: fmt.Sprint("n", i), created: start.Add(time.Duration(i) * time.Second)})
	}
	if _, ok := p.take("s0", start.Add(5*time.Second)); ok {
		t.Error("oldest entry kept past the bound")
	}
	for _, s := range []string{"s1", "s2", "s3"} {
		if _, ok := p.take(s, start.Add(5*time.Second)); !ok {
			t.Errorf("%s dropped", s)
		}
	}
}

func TestPendingLoginsExpireAndPrune(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	p := newPendingLogins(time.Minute, 10)
	p.add("old", pendingLogin{created: start})
	p.add("new", pendingLogin{created: start.Add(2 * time.Minute)}) // prunes "old"
	p.mu.Lock()
	n := len(p.byState)
	p.mu.Unlock()
	if n != 1 {
		t.Errorf("%d entries after pruning, want 1", n)
	}
	if _, ok := p.take("new", start.Add(3*time.Minute+time.Second)); ok {
		t.Error("expired entry returned")
	}
}

func TestFormatClaim(t *testing.T) {
	tests := []struct {
		name  string
		json  string
		claim string
		want  string
	}{
		{"string", `"Ada"`, "given_name", "Ada"},
		{"true", `true`, "idme_military_verified", "true"},
		{"false", `false`, "idme_teacher_verified", "false"},
		{"list", `["military","student"]`, "idme_groups", "military, student"},
		{"empty list", `[]`, "idme_subgroups", "(empty list)"},
		{"time claim", `1700000000`, "exp", "1700000000 (2023-11-14T22:13:20Z)"},
		{"plain number", `1700000000`, "count", "1700000000"},
		{"object", `{"b":1}`, "address", `{"b":1}`},
		{"null", `null`, "x", "null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			claims, err := decodeClaims([]byte(`{"v":` + tt.json + `}`))
			if err != nil {
				t.Fatal(err)
			}
			if got := formatClaim(tt.claim, claims["v"]); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
