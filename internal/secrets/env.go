package secrets

import (
	"context"
	"fmt"
	"strings"
)

// Env reads secrets from environment-style settings (the process environment, or the Values of
// local.settings.json that Core Tools exports). A Key Vault secret name such as
// "idme-client-secret" is looked up as IDME_CLIENT_SECRET, so the same setting names work in
// both places.
type Env struct {
	Lookup func(string) (string, bool)
}

// EnvName is the setting name Env uses for a secret name.
func EnvName(secretName string) string {
	return strings.ToUpper(strings.ReplaceAll(secretName, "-", "_"))
}

// Get returns the value of the setting named after name, or ErrNotFound when it is unset or empty.
func (e Env) Get(_ context.Context, name string) (string, error) {
	v, ok := e.Lookup(EnvName(name))
	if !ok || v == "" {
		return "", fmt.Errorf("setting %s for secret %q: %w", EnvName(name), name, ErrNotFound)
	}
	return v, nil
}

// Map is a fixed Source, for tests and for dev mode.
type Map map[string]string

// Get returns the value stored under name.
func (m Map) Get(_ context.Context, name string) (string, error) {
	v, ok := m[name]
	if !ok || v == "" {
		return "", fmt.Errorf("secret %q: %w", name, ErrNotFound)
	}
	return v, nil
}
