package outcometest

import (
	"strings"
	"testing"
)

// TestCheck: each kind of fault in an event is reported.
func TestCheck(t *testing.T) {
	good := `{"msg":"outcome","event":"token","client_id":"c","outcome":"issued","error":"","duration_ms":1,"code_burn_ms":0,"signing_ms":0}`
	tests := []struct{ name, line, want string }{
		{"good", good, ""},
		{"missing field", strings.Replace(good, `"error":"",`, "", 1), "no field error"},
		{"wrong type", strings.Replace(good, `"signing_ms":0`, `"signing_ms":"0"`, 1), "field signing_ms is a string, want a number"},
		{"undocumented field", strings.Replace(good, `"client_id":"c"`, `"client_id":"c","sub":"x"`, 1), "field sub is not documented"},
		{"outcome off the list", strings.Replace(good, `"issued"`, `"verified"`, 1), `outcome "verified" is not one of`},
		{"unknown event", strings.Replace(good, `"token"`, `"tokens"`, 1), `unknown event "tokens"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := Parse([]byte(tt.line + "\n" + `{"msg":"other"}`))
			if err != nil || len(evs) != 1 {
				t.Fatalf("Parse: %v, %d events", err, len(evs))
			}
			got := strings.Join(Check(evs[0]), "; ")
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Errorf("Check = %q, want %q", got, tt.want)
			}
		})
	}
}
