// Package idme is the bridge's client of ID.me: the authorize and logout URLs, the code
// exchange, the check of ID.me's id_token, and the one attributes.json call that carries the
// user's attributes and community verification status.
package idme

import (
	"fmt"
	"strings"
)

// Environment says where an ID.me deployment lives.
type Environment struct {
	// BaseURL is the API host, e.g. https://api.id.me.
	BaseURL string
	// Issuer is the OIDC issuer, BaseURL + "/oidc"; discovery hangs below it, not at the host root.
	Issuer string
}

// Hosts of ID.me's two environments.
const (
	ProductionURL = "https://api.id.me"
	SandboxURL    = "https://api.idmelabs.com"
)

// EnvironmentFor returns "production" or "sandbox", or the environment at baseOverride when set
// (the simulator, a proxy).
func EnvironmentFor(name, baseOverride string) (Environment, error) {
	base := strings.TrimRight(baseOverride, "/")
	if base == "" {
		switch name {
		case "production":
			base = ProductionURL
		case "sandbox":
			base = SandboxURL
		default:
			return Environment{}, fmt.Errorf("unknown ID.me environment %q", name)
		}
	}
	return Environment{BaseURL: base, Issuer: base + "/oidc"}, nil
}
