package idmesim

import (
	"bytes"
	"cmp"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"
)

// Literal pieces of attributes.json, so expectations read like the wire format.
func attr(handle, name, value string) string {
	return `{"handle":"` + handle + `","name":"` + name + `","value":"` + value + `"}`
}

func nullAttr(handle, name string) string {
	return `{"handle":"` + handle + `","name":"` + name + `","value":null}`
}

func notVerified(group string) string {
	return `{"group":"` + group + `","subgroups":[],"verified":false}`
}

func attributesJSON(attrs []string, status []string) string {
	return `{"attributes":[` + strings.Join(attrs, ",") + `],"status":[` + strings.Join(status, ",") + `]}`
}

const ial2Status = `{"group":"identity","subgroups":["IAL2"],"verified":true}`

// TestFullFlowPerPersona drives authorize -> token -> attributes.json for every persona that
// completes, and checks the attributes document byte for byte.
func TestFullFlowPerPersona(t *testing.T) {
	const scope = "openid login military responder student teacher"
	h := newHarness(t)
	tests := []struct {
		persona string
		scope   string // "": the groups-flow scope above
		want    string
	}{
		{"veteran", "", attributesJSON([]string{
			attr("uuid", "Unique Identifier", "5f1c0c7e9a2b4d3e8f6a1b2c3d4e5f60"),
			attr("fname", "First Name", "Vera"),
			attr("lname", "Last Name", "Veteran"),
			attr("email", "Email", "vera.veteran@example.com"),
			attr("email_verified", "Email Verified", "true"),
			attr("zip", "Zip Code", "22201"),
			attr("military_branch", "Military Branch", "Army"),
			attr("military_service_component", "Military Service Component", "Active Duty"),
			attr("military_service_started", "Military Service Started", "2004-06-01"),
		}, []string{
			ial2Status,
			`{"group":"military","subgroups":["Veteran"],"verified":true}`,
			notVerified("responder"), notVerified("student"), notVerified("teacher"),
		})},
		{"service_member", "", attributesJSON([]string{
			attr("uuid", "Unique Identifier", "8a7b6c5d4e3f4a1b9c8d7e6f5a4b3c21"),
			attr("fname", "First Name", "Sam"),
			attr("lname", "Last Name", "Service"),
			attr("email", "Email", "sam.service@example.com"),
			attr("zip", "Zip Code", "92134"),
			attr("military_branch", "Military Branch", "Navy"),
			attr("military_service_component", "Military Service Component", "Reserve"),
			nullAttr("military_service_started", "Military Service Started"),
		}, []string{
			`{"group":"military","subgroups":["Service Member"],"verified":"true"}`,
			notVerified("responder"), notVerified("student"), notVerified("teacher"),
		})},
		{"student", "", attributesJSON([]string{
			attr("uuid", "Unique Identifier", "1d2e3f4a5b6c4d7e8f9a0b1c2d3e4f5a"),
			attr("fname", "First Name", "Stella"),
			attr("lname", "Last Name", "Student"),
			attr("email", "Email", "stella.student@example.com"),
			attr("zip", "Zip Code", "02139"),
			nullAttr("phone", "Phone"),
		}, []string{
			notVerified("military"), notVerified("responder"),
			`{"group":"student","subgroups":null,"verified":true}`,
			notVerified("teacher"),
		})},
		{"teacher", "", attributesJSON([]string{
			attr("uuid", "Unique Identifier", "9e8d7c6b5a4f4e3d2c1b0a9f8e7d6c5b"),
			attr("fname", "First Name", "Theo"),
			attr("lname", "Last Name", "Teacher"),
			attr("email", "Email", "theo.teacher@example.com"),
			attr("zip", "Zip Code", "60601"),
		}, []string{
			notVerified("military"), notVerified("responder"), notVerified("student"),
			`{"group":"teacher","verified":true}`,
		})},
		{"responder", "", attributesJSON([]string{
			attr("uuid", "Unique Identifier", "3c4d5e6f7a8b4c9d0e1f2a3b4c5d6e7f"),
			attr("fname", "First Name", "Rita"),
			attr("lname", "Last Name", "Responder"),
			attr("email", "Email", "rita.responder@example.com"),
			attr("zip", "Zip Code", "80202"),
		}, []string{
			notVerified("military"),
			`{"group":"responder","subgroups":["EMT"],"verified":true}`,
			notVerified("student"), notVerified("teacher"),
		})},
		// Verified in no community, these two can only finish a sign-in that asks for none.
		{"ial2", "openid login", attributesJSON([]string{
			attr("uuid", "Unique Identifier", "6b5a4c3d2e1f4a0b9c8d7e6f5a4b3c2d"),
			attr("fname", "First Name", "Ida"),
			attr("lname", "Last Name", "Identity"),
			attr("email", "Email", "ida.identity@example.com"),
			attr("zip", "Zip Code", "10001"),
			attr("birth_date", "Birth Date", "1985-03-14"),
			attr("phone", "Phone", "+12025550143"),
			attr("street", "Street", "1 Main St"),
			attr("city", "City", "New York"),
			attr("state", "State", "NY"),
		}, []string{ial2Status})},
		{"unverified", "openid login", attributesJSON([]string{
			attr("uuid", "Unique Identifier", "0f1e2d3c4b5a49687f6e5d4c3b2a1908"),
			attr("fname", "First Name", "Uma"),
			attr("lname", "Last Name", "Unverified"),
			attr("email", "Email", "uma.unverified@example.com"),
			attr("zip", "Zip Code", "73301"),
			nullAttr("birth_date", "Birth Date"),
		}, nil)},
	}
	for _, tt := range tests {
		t.Run(tt.persona, func(t *testing.T) {
			sc := cmp.Or(tt.scope, scope)
			tok := h.tokens(t, tt.persona, sc)
			checkTokenResponseShape(t, tok, sc, true)

			resp, body := h.get(t, "/api/public/v3/attributes.json", nil, bearer(tok["access_token"].(string)))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("attributes status %d: %s", resp.StatusCode, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			var want bytes.Buffer
			if err := json.Compact(&want, []byte(tt.want)); err != nil {
				t.Fatalf("bad expectation: %v", err)
			}
			if got := string(bytes.TrimSpace(body)); got != want.String() {
				t.Errorf("attributes.json\n got: %s\nwant: %s", got, want.String())
			}
		})
	}
}

// checkTokenResponseShape asserts the exact key set and fixed values of a token response.
func checkTokenResponseShape(t *testing.T, tok map[string]any, scope string, wantIDToken bool) {
	t.Helper()
	want := []string{"access_token", "expires_in", "refresh_token", "scope", "token_type"}
	if wantIDToken {
		want = append(want, "id_token")
		sort.Strings(want)
	}
	var keys []string
	for k := range tok {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if strings.Join(keys, ",") != strings.Join(want, ",") {
		t.Errorf("token response keys = %v, want %v", keys, want)
	}
	if tok["token_type"] != "bearer" || tok["expires_in"] != float64(300) || tok["scope"] != scope {
		t.Errorf("token response = %v", tok)
	}
	if tok["access_token"] == tok["refresh_token"] || tok["access_token"] == "" {
		t.Errorf("access/refresh tokens not distinct: %v", tok)
	}
}

func TestTokenWithoutOpenIDHasNoIDToken(t *testing.T) {
	h := newHarness(t)
	tok := h.tokens(t, "veteran", "military")
	checkTokenResponseShape(t, tok, "military", false)
}

// TestGroupStatusByScope covers how scopes select status entries.
func TestGroupStatusByScope(t *testing.T) {
	personas := make(map[string]Persona)
	for _, p := range Personas() {
		personas[p.ID] = p
	}
	tests := []struct {
		name, persona, scope, want string
	}{
		{"no group scope gives an empty array", "veteran", "openid", `[]`},
		{"first_responder reports the responder group", "responder", "first_responder",
			`[{"group":"responder","subgroups":["EMT"],"verified":true}]`},
		{"responder and first_responder report once", "responder", "responder first_responder",
			`[{"group":"responder","subgroups":["EMT"],"verified":true}]`},
		{"several identity scopes give one identity entry", "ial2", "login mfa http://idmanagement.gov/ns/assurance/ial/2/aal/2",
			`[` + ial2Status + `]`},
		{"identity scope for a persona without identity verification adds nothing", "student", "openid login", `[]`},
		{"unrequested verified group is not reported", "veteran", "openid nurse",
			`[{"group":"nurse","subgroups":[],"verified":false}]`},
		{"canada variant is its own group", "veteran", "military_canada",
			`[{"group":"military_canada","subgroups":[],"verified":false}]`},
		{"identity entry follows scope order", "veteran", "military fortified_identity",
			`[{"group":"military","subgroups":["Veteran"],"verified":true},` + ial2Status + `]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(groupStatus(personas[tt.persona], parseScope(tt.scope)))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("status = %s, want %s", got, tt.want)
			}
		})
	}
}
