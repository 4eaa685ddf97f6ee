package claims

import (
	"errors"
	"slices"
	"testing"
)

func TestParseMappings(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Mapping
		wantErr bool
	}{
		{name: "empty", in: "", want: nil},
		{name: "only whitespace", in: " \t ", want: nil},
		{name: "one row", in: "employer=idme_employer", want: []Mapping{{"employer", "idme_employer"}}},
		{
			name: "several rows with whitespace",
			in:   " employer = idme_employer ,\tfname=first_name ",
			want: []Mapping{{"employer", "idme_employer"}, {"fname", "first_name"}},
		},
		{name: "trailing comma", in: "a=b,", wantErr: true},
		{name: "leading comma", in: ",a=b", wantErr: true},
		{name: "empty middle row", in: "a=b,,c=d", wantErr: true},
		{name: "blank middle row", in: "a=b, ,c=d", wantErr: true},
		{name: "missing equals", in: "employer", wantErr: true},
		{name: "missing equals second row", in: "a=b,employer", wantErr: true},
		{name: "empty handle", in: "=claim", wantErr: true},
		{name: "empty claim", in: "handle=", wantErr: true},
		{name: "blank both", in: " = ", wantErr: true},
		{name: "two equals", in: "a=b=c", wantErr: true},
		{name: "duplicate handle", in: "a=b,a=c", wantErr: true},
		{name: "duplicate handle after trimming", in: "a=b, a =c", wantErr: true},
		{name: "space inside claim", in: "a=b c", wantErr: true},
		{name: "claim starts with digit", in: "a=1b", wantErr: true},
		{name: "punctuation in handle", in: "a.b=c", wantErr: true},
		{name: "non-ascii claim", in: "a=clé", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMappings(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrInvalidMapping) {
					t.Fatalf("ParseMappings(%q) error = %v, want ErrInvalidMapping", tt.in, err)
				}
				if got != nil {
					t.Errorf("ParseMappings(%q) returned rows %v alongside an error", tt.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseMappings(%q) unexpected error: %v", tt.in, err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ParseMappings(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseMappingsFeedsNewTranslator(t *testing.T) {
	extra, err := ParseMappings("employer=idme_employer, fname=first_name")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewTranslator(extra)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tr.Translate(Verification{Attributes: map[string]string{
		"uuid": "u1", "fname": "Ada", "employer": "Navy",
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got["first_name"] != "Ada" || got["idme_employer"] != "Navy" {
		t.Errorf("extra rows not applied: %v", got)
	}
	if _, ok := got["given_name"]; ok {
		t.Errorf("replaced default row still emitted given_name: %v", got)
	}
}

func FuzzParseMappings(f *testing.F) {
	for _, seed := range []string{
		"",
		"a=b",
		" employer = idme_employer , fname=first_name",
		"a=b,",
		",,,",
		"=",
		"a==b",
		"a=b,a=c",
		"uuid=sub",
		"x=iss",
		"x=idme_military_verified",
		"é=ü",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rows, err := ParseMappings(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidMapping) {
				t.Fatalf("ParseMappings(%q) error %v does not wrap ErrInvalidMapping", s, err)
			}
			return
		}
		seen := map[string]bool{}
		for _, m := range rows {
			if checkName("handle", m.Handle) != nil || checkName("claim", m.Claim) != nil {
				t.Fatalf("ParseMappings(%q) accepted invalid row %+v", s, m)
			}
			if seen[m.Handle] {
				t.Fatalf("ParseMappings(%q) accepted repeated handle %q", s, m.Handle)
			}
			seen[m.Handle] = true
		}
		// Whatever parses must be safe to hand to NewTranslator.
		if _, err := NewTranslator(rows); err != nil && !errors.Is(err, ErrInvalidMapping) {
			t.Fatalf("NewTranslator(%v) error %v does not wrap ErrInvalidMapping", rows, err)
		}
	})
}
