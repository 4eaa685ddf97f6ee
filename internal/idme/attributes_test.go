package idme

import (
	"reflect"
	"testing"
)

func TestParseAttributesLenient(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantAttrs  []Attribute
		wantStatus []Status
		wantErr    bool
	}{
		{
			name: "documented shape",
			body: `{"attributes":[{"handle":"fname","name":"First Name","value":"Ada"},{"handle":"uuid","name":"Unique Identifier","value":"abc"}],
			        "status":[{"group":"military","subgroups":["Veteran"],"verified":true}]}`,
			wantAttrs:  []Attribute{{Handle: "fname", Name: "First Name", Value: "Ada"}, {Handle: "uuid", Name: "Unique Identifier", Value: "abc"}},
			wantStatus: []Status{{Group: "military", Subgroups: []string{"Veteran"}, Verified: true}},
		},
		{
			name:       "null value, null subgroups, verified as string",
			body:       `{"attributes":[{"handle":"zip","name":"Zip","value":null}],"status":[{"group":"student","subgroups":null,"verified":"true"}]}`,
			wantAttrs:  []Attribute{{Handle: "zip", Name: "Zip", Null: true}},
			wantStatus: []Status{{Group: "student", Verified: true}},
		},
		{
			name:       "missing subgroups and verified, string false, odd case",
			body:       `{"attributes":[],"status":[{"group":"teacher"},{"group":"nurse","verified":"false"},{"group":"alumni","verified":"TRUE"}]}`,
			wantStatus: []Status{{Group: "teacher"}, {Group: "nurse"}, {Group: "alumni", Verified: true}},
		},
		{
			name:      "numbers and booleans as values",
			body:      `{"attributes":[{"handle":"age","value":42},{"handle":"flag","value":false}]}`,
			wantAttrs: []Attribute{{Handle: "age", Value: "42"}, {Handle: "flag", Value: "false"}},
		},
		{
			name:       "verified as number is not a verification",
			body:       `{"status":[{"group":"military","verified":1}]}`,
			wantStatus: []Status{{Group: "military"}},
		},
		{
			name: "entries without handle or group are skipped",
			body: `{"attributes":[{"value":"x"}],"status":[{"verified":true}]}`,
		},
		{name: "object value", body: `{"attributes":[{"handle":"a","value":{"x":1}}]}`, wantErr: true},
		{name: "not json", body: `<html>`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAttributes([]byte(tt.body))
			if tt.wantErr {
				if err == nil {
					t.Fatal("want error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Attributes, tt.wantAttrs) {
				t.Errorf("attributes = %+v, want %+v", got.Attributes, tt.wantAttrs)
			}
			if !reflect.DeepEqual(got.Status, tt.wantStatus) {
				t.Errorf("status = %+v, want %+v", got.Status, tt.wantStatus)
			}
		})
	}
}
