package secrets

import (
	"context"
	"errors"
	"testing"
)

func TestEnv(t *testing.T) {
	env := map[string]string{"IDME_CLIENT_SECRET": "s3cret", "EMPTY_ONE": ""}
	src := Env{Lookup: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	tests := []struct {
		name, want string
		wantErr    error
	}{
		{"idme-client-secret", "s3cret", nil},
		{"IDME_CLIENT_SECRET", "s3cret", nil},
		{"empty-one", "", ErrNotFound},
		{"missing", "", ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := src.Get(context.Background(), tt.name)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Fatalf("Get(%q) = %q, %v; want %q, %v", tt.name, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestMap(t *testing.T) {
	m := Map{"a": "1"}
	if v, err := m.Get(context.Background(), "a"); err != nil || v != "1" {
		t.Fatalf("Get(a) = %q, %v", v, err)
	}
	if _, err := m.Get(context.Background(), "b"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get(b) err = %v, want ErrNotFound", err)
	}
}
