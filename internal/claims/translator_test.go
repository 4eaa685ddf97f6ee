package claims

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

func mustTranslator(t *testing.T, extra []Mapping) *Translator {
	t.Helper()
	tr, err := NewTranslator(extra)
	if err != nil {
		t.Fatalf("NewTranslator(%v): %v", extra, err)
	}
	return tr
}

func mustTranslate(t *testing.T, tr *Translator, v Verification) map[string]any {
	t.Helper()
	got, err := tr.Translate(v)
	if err != nil {
		t.Fatalf("Translate(%+v): %v", v, err)
	}
	return got
}

func TestDefaultMappingsTable(t *testing.T) {
	want := []Mapping{
		{"uuid", "sub"},
		{"fname", "given_name"},
		{"lname", "family_name"},
		{"email", "email"},
		{"zip", "postal_code"},
		{"birth_date", "birthdate"},
		{"phone", "phone_number"},
		{"street", "street_address"},
		{"city", "locality"},
		{"state", "region"},
		{"military_branch", "idme_military_branch"},
		{"military_service_component", "idme_military_service_component"},
		{"military_service_started", "idme_military_service_started"},
	}
	got := DefaultMappings()
	if !slices.Equal(got, want) {
		t.Fatalf("DefaultMappings() = %v, want %v", got, want)
	}
	got[0].Claim = "changed"
	if DefaultMappings()[0].Claim != "sub" {
		t.Error("DefaultMappings shares its backing array between calls")
	}
}

func TestTranslateEachDefaultMapping(t *testing.T) {
	tests := []struct {
		handle, value, claim string
	}{
		{"uuid", "5f1c0ffee", "sub"},
		{"fname", "Ada", "given_name"},
		{"lname", "Lovelace", "family_name"},
		{"email", "ada@example.com", "email"},
		{"zip", "20500", "postal_code"},
		{"birth_date", "1815-12-10", "birthdate"},
		{"phone", "+12025550100", "phone_number"},
		{"street", "1 Main St", "street_address"},
		{"city", "Springfield", "locality"},
		{"state", "VA", "region"},
		{"military_branch", "Navy", "idme_military_branch"},
		{"military_service_component", "Reserve", "idme_military_service_component"},
		{"military_service_started", "2001-01-01", "idme_military_service_started"},
	}
	tr := mustTranslator(t, nil)
	for _, tt := range tests {
		t.Run(tt.handle, func(t *testing.T) {
			attrs := map[string]string{"uuid": "subject-1"}
			attrs[tt.handle] = tt.value
			got := mustTranslate(t, tr, Verification{Attributes: attrs})
			if got[tt.claim] != tt.value {
				t.Errorf("claim %q = %#v, want %q", tt.claim, got[tt.claim], tt.value)
			}
			if tt.handle != "uuid" && got["sub"] != "subject-1" {
				t.Errorf("sub = %#v, want subject-1", got["sub"])
			}
			if _, leaked := got[tt.handle]; leaked && tt.handle != tt.claim {
				t.Errorf("raw handle %q leaked into claims", tt.handle)
			}
		})
	}
}

func TestTranslateName(t *testing.T) {
	tests := []struct {
		name     string
		attrs    map[string]string
		wantName string // "" means the claim must be absent
	}{
		{"both parts", map[string]string{"fname": "Ada", "lname": "Lovelace"}, "Ada Lovelace"},
		{"both parts trimmed", map[string]string{"fname": " Ada ", "lname": "\tLovelace"}, "Ada Lovelace"},
		{"given only", map[string]string{"fname": "Ada"}, ""},
		{"family only", map[string]string{"lname": "Lovelace"}, ""},
		{"family blank", map[string]string{"fname": "Ada", "lname": "  "}, ""},
		{"neither", map[string]string{}, ""},
	}
	tr := mustTranslator(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			attrs := maps.Clone(tt.attrs)
			attrs["uuid"] = "u"
			got := mustTranslate(t, tr, Verification{Attributes: attrs})
			name, ok := got["name"]
			if tt.wantName == "" {
				if ok {
					t.Errorf("name = %#v, want absent", name)
				}
				return
			}
			if name != tt.wantName {
				t.Errorf("name = %#v, want %q", name, tt.wantName)
			}
		})
	}
}

func TestTranslateMappedNameWins(t *testing.T) {
	tr := mustTranslator(t, []Mapping{{"full_name", "name"}})
	got := mustTranslate(t, tr, Verification{Attributes: map[string]string{
		"uuid": "u", "fname": "Ada", "lname": "Lovelace", "full_name": "Augusta Ada King",
	}})
	if got["name"] != "Augusta Ada King" {
		t.Errorf("name = %#v, want the mapped value", got["name"])
	}
}

func TestTranslateOmitsEmptyValues(t *testing.T) {
	tr := mustTranslator(t, nil)
	got := mustTranslate(t, tr, Verification{Attributes: map[string]string{
		"uuid": "u", "email": "", "zip": "   ", "city": "\t\n", "state": "VA",
	}})
	for _, claim := range []string{"email", "postal_code", "locality", "given_name", "family_name", "name"} {
		if v, ok := got[claim]; ok {
			t.Errorf("claim %q = %#v, want absent", claim, v)
		}
	}
	if got["region"] != "VA" {
		t.Errorf("region = %#v, want VA", got["region"])
	}
}

func TestTranslateNoSubject(t *testing.T) {
	tests := []struct {
		name  string
		attrs map[string]string
	}{
		{"nil attributes", nil},
		{"uuid absent", map[string]string{"email": "a@example.com"}},
		{"uuid empty", map[string]string{"uuid": ""}},
		{"uuid blank", map[string]string{"uuid": "  "}},
	}
	tr := mustTranslator(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tr.Translate(Verification{
				Attributes: tt.attrs,
				Groups:     []Group{{Name: "military", Verified: true}},
			})
			if !errors.Is(err, ErrNoSubject) {
				t.Fatalf("error = %v, want ErrNoSubject", err)
			}
			if got != nil {
				t.Errorf("claims = %v, want nil on error", got)
			}
		})
	}
}

func TestTranslateGroups(t *testing.T) {
	tests := []struct {
		name          string
		groups        []Group
		wantGroups    []string
		wantSubgroups []string
		wantTrue      []string // group booleans expected true
		wantFalse     []string // group booleans expected present and false
	}{
		{
			name:          "none",
			groups:        nil,
			wantGroups:    []string{},
			wantSubgroups: []string{},
			wantFalse:     []string{"military", "identity"},
		},
		{
			name:          "one verified",
			groups:        []Group{{Name: "military", Subgroups: []string{"Veteran"}, Verified: true}},
			wantGroups:    []string{"military"},
			wantSubgroups: []string{"Veteran"},
			wantTrue:      []string{"military"},
			wantFalse:     []string{"student", "responder"},
		},
		{
			name:          "one unverified",
			groups:        []Group{{Name: "military", Subgroups: []string{"Veteran"}, Verified: false}},
			wantGroups:    []string{},
			wantSubgroups: []string{},
			wantFalse:     []string{"military"},
		},
		{
			name: "mixed",
			groups: []Group{
				{Name: "teacher", Subgroups: []string{"K-12"}, Verified: false},
				{Name: "student", Subgroups: []string{"Graduate"}, Verified: true},
				{Name: "Military", Subgroups: []string{"Veteran"}, Verified: true},
				{Name: "nurse", Verified: false},
			},
			wantGroups:    []string{"military", "student"},
			wantSubgroups: []string{"Graduate", "Veteran"},
			wantTrue:      []string{"military", "student"},
			wantFalse:     []string{"teacher", "nurse", "responder"},
		},
		{
			name: "subgroups deduplicated in order seen, verbatim",
			groups: []Group{
				{Name: "military", Subgroups: []string{"Service Member", "Veteran", "Service Member"}, Verified: true},
				{Name: "identity", Subgroups: []string{"IAL2", "Veteran", ""}, Verified: true},
			},
			wantGroups:    []string{"identity", "military"},
			wantSubgroups: []string{"Service Member", "Veteran", "IAL2"},
			wantTrue:      []string{"identity", "military"},
		},
		{
			name: "nil subgroups",
			groups: []Group{
				{Name: "student", Subgroups: nil, Verified: true},
				{Name: "teacher", Verified: true},
			},
			wantGroups:    []string{"student", "teacher"},
			wantSubgroups: []string{},
			wantTrue:      []string{"student", "teacher"},
		},
		{
			name: "same group unverified then verified",
			groups: []Group{
				{Name: "military", Subgroups: []string{"Military Spouse"}, Verified: false},
				{Name: "military", Subgroups: []string{"Veteran"}, Verified: true},
				{Name: "military", Verified: false},
			},
			wantGroups:    []string{"military"},
			wantSubgroups: []string{"Veteran"},
			wantTrue:      []string{"military"},
		},
		{
			name: "unknown groups sanitised",
			groups: []Group{
				{Name: "Hospital Employee!", Verified: true},
				{Name: "first_responder", Verified: true},
				{Name: "Military_Canada", Verified: false},
			},
			wantGroups:    []string{"first_responder", "hospital_employee_"},
			wantSubgroups: []string{},
			wantTrue:      []string{"hospital_employee_", "first_responder"},
			// No aliasing: first_responder does not make responder true.
			wantFalse: []string{"military_canada", "responder", "hospital_employee"},
		},
		{
			name:          "blank group name ignored",
			groups:        []Group{{Name: "  ", Subgroups: []string{"Ghost"}, Verified: true}},
			wantGroups:    []string{},
			wantSubgroups: []string{},
		},
	}
	tr := mustTranslator(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustTranslate(t, tr, Verification{
				Attributes: map[string]string{"uuid": "u"},
				Groups:     tt.groups,
			})
			// An empty list is omitted, never sent as [] (B2C's stringCollection).
			for claim, want := range map[string][]string{"idme_groups": tt.wantGroups, "idme_subgroups": tt.wantSubgroups} {
				v, present := got[claim]
				if len(want) == 0 {
					if present {
						t.Errorf("%s = %#v, want it omitted", claim, v)
					}
					continue
				}
				list, ok := v.([]string)
				if !ok || !slices.Equal(list, want) {
					t.Errorf("%s = %#v, want %v", claim, v, want)
				}
			}
			for _, g := range tt.wantTrue {
				if v := got["idme_"+g+"_verified"]; v != true {
					t.Errorf("idme_%s_verified = %#v, want true", g, v)
				}
			}
			for _, g := range tt.wantFalse {
				if v, present := got["idme_"+g+"_verified"]; !present || v != false {
					t.Errorf("idme_%s_verified = %#v (present %v), want false", g, v, present)
				}
			}
			// Every boolean true must correspond to a verified group listed.
			groups, _ := got["idme_groups"].([]string)
			for k, v := range got {
				if strings.HasPrefix(k, "idme_") && strings.HasSuffix(k, "_verified") && v == true {
					g := strings.TrimSuffix(strings.TrimPrefix(k, "idme_"), "_verified")
					if !slices.Contains(groups, g) {
						t.Errorf("%s is true but %q is not in idme_groups", k, g)
					}
				}
			}
		})
	}
}

func TestTranslateKnownGroupBooleansAlwaysPresent(t *testing.T) {
	tr := mustTranslator(t, nil)
	got := mustTranslate(t, tr, Verification{Attributes: map[string]string{"uuid": "u"}})
	known := []string{"military", "responder", "student", "teacher", "government", "employee",
		"hospital_employee", "alumni", "nurse", "medical", "identity"}
	for _, g := range known {
		claim := "idme_" + g + "_verified"
		v, ok := got[claim]
		if !ok {
			t.Errorf("%s missing", claim)
			continue
		}
		if b, isBool := v.(bool); !isBool || b {
			t.Errorf("%s = %#v, want bool false", claim, v)
		}
	}
}

func TestSanitiseGroup(t *testing.T) {
	tests := []struct{ in, want string }{
		{"military", "military"},
		{"Hospital Employee!", "hospital_employee_"},
		{"  Student  ", "student"},
		{"first-responder", "first_responder"},
		{"Military_Canada", "military_canada"},
		{"Ürün", "_r_n"},
		{"a.b/c", "a_b_c"},
		{"", ""},
		{"   ", ""},
	}
	for _, tt := range tests {
		if got := sanitiseGroup(tt.in); got != tt.want {
			t.Errorf("sanitiseGroup(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNewTranslatorRejects(t *testing.T) {
	tests := []struct {
		name  string
		extra []Mapping
	}{
		{"reserved iss", []Mapping{{"x", "iss"}}},
		{"reserved aud", []Mapping{{"x", "aud"}}},
		{"reserved exp", []Mapping{{"x", "exp"}}},
		{"reserved iat", []Mapping{{"x", "iat"}}},
		{"reserved nbf", []Mapping{{"x", "nbf"}}},
		{"reserved nonce", []Mapping{{"x", "nonce"}}},
		{"reserved auth_time", []Mapping{{"x", "auth_time"}}},
		{"reserved at_hash", []Mapping{{"x", "at_hash"}}},
		{"reserved azp", []Mapping{{"x", "azp"}}},
		{"reserved jti", []Mapping{{"x", "jti"}}},
		{"reserved amr", []Mapping{{"x", "amr"}}},
		{"reserved acr", []Mapping{{"x", "acr"}}},
		{"reserved sid", []Mapping{{"x", "sid"}}},
		{"reserved in other case", []Mapping{{"x", "ISS"}}},
		{"group list claim", []Mapping{{"x", "idme_groups"}}},
		{"subgroup list claim", []Mapping{{"x", "idme_subgroups"}}},
		{"known group boolean", []Mapping{{"x", "idme_military_verified"}}},
		{"unknown group boolean", []Mapping{{"x", "idme_whatever_verified"}}},
		{"group boolean other case", []Mapping{{"x", "IDME_Student_Verified"}}},
		{"empty claim", []Mapping{{"x", ""}}},
		{"empty handle", []Mapping{{"", "claim"}}},
		{"invalid claim", []Mapping{{"x", "has space"}}},
		{"invalid handle", []Mapping{{"a=b", "claim"}}},
		{"overlong claim", []Mapping{{"x", "c" + strings.Repeat("a", 64)}}},
		{"duplicate handle", []Mapping{{"x", "a"}, {"x", "b"}}},
		{"claim fed by two handles", []Mapping{{"work_email", "email"}}},
		{"claim fed by two extras", []Mapping{{"x", "c"}, {"y", "C"}}},
		{"another handle to sub", []Mapping{{"user_id", "sub"}}},
		{"uuid moved off sub", []Mapping{{"uuid", "user_id"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := NewTranslator(tt.extra)
			if !errors.Is(err, ErrInvalidMapping) {
				t.Fatalf("NewTranslator(%v) error = %v, want ErrInvalidMapping", tt.extra, err)
			}
			if tr != nil {
				t.Errorf("NewTranslator(%v) returned a translator alongside an error", tt.extra)
			}
		})
	}
}

func TestNewTranslatorAccepts(t *testing.T) {
	tests := []struct {
		name  string
		extra []Mapping
	}{
		{"nil", nil},
		{"empty", []Mapping{}},
		{"new claim", []Mapping{{"employer", "idme_employer"}}},
		{"uuid kept on sub", []Mapping{{"uuid", "sub"}}},
		{"idme prefix without verified suffix", []Mapping{{"x", "idme_extra"}}},
		{"claim freed by a replacement reused", []Mapping{{"email", "mail"}, {"work_email", "email"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewTranslator(tt.extra); err != nil {
				t.Fatalf("NewTranslator(%v): %v", tt.extra, err)
			}
		})
	}
}

func TestExtraRowReplacesDefault(t *testing.T) {
	tr := mustTranslator(t, []Mapping{{"email", "mail"}})
	got := mustTranslate(t, tr, Verification{Attributes: map[string]string{"uuid": "u", "email": "a@example.com"}})
	if got["mail"] != "a@example.com" {
		t.Errorf("mail = %#v, want a@example.com", got["mail"])
	}
	if v, ok := got["email"]; ok {
		t.Errorf("email = %#v, want absent after replacement", v)
	}
	names := tr.ClaimNames()
	if slices.Contains(names, "email") || !slices.Contains(names, "mail") {
		t.Errorf("ClaimNames() = %v, want mail and not email", names)
	}
	// The replacement must not leak into later translators.
	if !slices.Contains(mustTranslator(t, nil).ClaimNames(), "email") {
		t.Error("default translator lost email after another translator replaced it")
	}
}

// fullyPopulated returns a Verification giving every mapped handle a value
// and every known group verified with a subgroup.
func fullyPopulated(mappings []Mapping) Verification {
	v := Verification{Attributes: map[string]string{}, ReadAt: time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)}
	for _, m := range mappings {
		v.Attributes[m.Handle] = "value of " + m.Handle
	}
	for _, g := range knownGroups() {
		v.Groups = append(v.Groups, Group{Name: g, Subgroups: []string{"sub " + g}, Verified: true})
	}
	return v
}

func TestClaimNames(t *testing.T) {
	tests := []struct {
		name  string
		extra []Mapping
	}{
		{"defaults", nil},
		{"with extra rows", []Mapping{{"employer", "idme_employer"}, {"fname", "first_name"}}},
		{"with mapped name", []Mapping{{"full_name", "name"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := mustTranslator(t, tt.extra)
			names := tr.ClaimNames()
			if !slices.IsSorted(names) {
				t.Errorf("ClaimNames() not sorted: %v", names)
			}
			if len(slices.Compact(slices.Clone(names))) != len(names) {
				t.Errorf("ClaimNames() has duplicates: %v", names)
			}
			for _, must := range []string{"sub", "name", "idme_groups", "idme_subgroups", "idme_identity_verified", "idme_verified_at"} {
				if !slices.Contains(names, must) {
					t.Errorf("ClaimNames() lacks %q", must)
				}
			}
			all := append(DefaultMappings(), tt.extra...)
			got := mustTranslate(t, tr, fullyPopulated(all))
			emitted := slices.Sorted(maps.Keys(got))
			if !slices.Equal(emitted, names) {
				t.Errorf("fully populated Translate emits %v, ClaimNames() = %v", emitted, names)
			}
		})
	}
}

func TestClaimNamesReturnsCopy(t *testing.T) {
	tr := mustTranslator(t, nil)
	a := tr.ClaimNames()
	a[0] = "tampered"
	if tr.ClaimNames()[0] == "tampered" {
		t.Error("ClaimNames exposes the translator's internal slice")
	}
}

// idme_verified_at is the time the bridge read ID.me's answer, in UTC and RFC 3339 (the format
// the External ID extension uses too), and is left out when no time is known.
func TestVerifiedAt(t *testing.T) {
	tr := mustTranslator(t, nil)
	at := time.Date(2026, 12, 6, 15, 4, 5, 0, time.FixedZone("EST", -5*3600))
	got := mustTranslate(t, tr, Verification{Attributes: map[string]string{"uuid": "u1"}, ReadAt: at})
	if got[ClaimVerifiedAt] != "2026-12-06T20:04:05Z" {
		t.Errorf("%s = %v, want 2026-12-06T20:04:05Z", ClaimVerifiedAt, got[ClaimVerifiedAt])
	}
	got = mustTranslate(t, tr, Verification{Attributes: map[string]string{"uuid": "u1"}})
	if v, ok := got[ClaimVerifiedAt]; ok {
		t.Errorf("%s = %v without a time, want it left out", ClaimVerifiedAt, v)
	}
	if _, err := NewTranslator([]Mapping{{"zip", ClaimVerifiedAt}}); err == nil {
		t.Errorf("a mapping onto %s was accepted", ClaimVerifiedAt)
	}
}
