package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// SettingsFile is the name of the settings file beside the policy templates.
const SettingsFile = "appsettings.json"

// Settings the renderer reads itself, beside substituting them.
const (
	// BridgeURLSetting is the bridge's BRIDGE_ISSUER.
	BridgeURLSetting = "BridgeUrl"
	// NameEditingSetting says who owns a user's names: Verified (ID.me) or Editable (the user).
	NameEditingSetting = "IdmeNameEditing"
	// TenantIDSetting is the tenant's GUID, for the redirect URI of a tenant-GUID authority.
	TenantIDSetting = "TenantId"
	// CustomDomainsSetting lists, space separated, the tenant's custom domains.
	CustomDomainsSetting = "CustomDomains"
	// IdentityProviderSetting is the provider name stored in each ID.me user's
	// alternativeSecurityId (id.me, or me.id.com for Microsoft's direct ID.me profile).
	IdentityProviderSetting = "IdmeIdentityProvider"
)

// identityProviderName is a provider name as B2C stores it: a lowercase domain-like name, no
// scheme, path or space (Microsoft's profiles use facebook.com, me.id.com...).
var identityProviderName = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$`)

// ErrBadSetting is wrapped when a setting has a value the policies cannot use.
var ErrBadSetting = errors.New("policy: invalid setting")

// NormalizeIssuer writes an issuer URL the way the bridge reads BRIDGE_ISSUER: without trailing
// slashes, so that {issuer}/.well-known/... never has "//".
func NormalizeIssuer(issuer string) string { return strings.TrimRight(strings.TrimSpace(issuer), "/") }

// checkValues refuses values that would render but misbehave at sign-in.
func (e Environment) checkValues() error {
	if v, ok := e.PolicySettings[NameEditingSetting]; ok && v != "Verified" && v != "Editable" {
		return fmt.Errorf("%w: %s is %q in environment %q, want Verified or Editable", ErrBadSetting, NameEditingSetting, v, e.Name)
	}
	// Every ID.me account is keyed on this name: "https://me.id.com", " me.id.com" or
	// "ME.ID.COM" would render and upload, and give every returning user a second account.
	if v, ok := e.PolicySettings[IdentityProviderSetting]; ok && strings.TrimSpace(v) != "" && !identityProviderName.MatchString(v) {
		return fmt.Errorf("%w: %s is %q in environment %q, want a lowercase provider name such as id.me, or me.id.com for a tenant that used Microsoft's ID.me profile", ErrBadSetting, IdentityProviderSetting, v, e.Name)
	}
	return nil
}

// ErrUnknownEnvironment is wrapped when appsettings.json has no environment of the asked name.
var ErrUnknownEnvironment = errors.New("policy: unknown environment")

// Settings is appsettings.json as the B2C VS Code extension defines it: one entry per
// environment (tenant), each with its own values for the {Settings:Name} tokens.
type Settings struct {
	Environments []Environment `json:"Environments"`
}

// Environment is one tenant's values.
type Environment struct {
	Name string `json:"Name"`
	// Production marks a production tenant. The extension reserves it; rendering ignores it.
	Production bool `json:"Production"`
	// Tenant is the value of {Settings:Tenant}, e.g. contoso.onmicrosoft.com.
	Tenant string `json:"Tenant"`
	// PolicySettings are the values of every other {Settings:Name} token.
	PolicySettings map[string]string `json:"PolicySettings"`
}

// LoadSettings reads and checks an appsettings.json file.
func LoadSettings(path string) (Settings, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Settings{}, fmt.Errorf("policy: read settings: %w", err)
	}
	var s Settings
	if err := json.Unmarshal(data, &s); err != nil {
		return Settings{}, fmt.Errorf("policy: parse %s: %w", path, err)
	}
	if len(s.Environments) == 0 {
		return Settings{}, fmt.Errorf("policy: %s lists no Environments", path)
	}
	seen := make(map[string]bool, len(s.Environments))
	for i, env := range s.Environments {
		if strings.TrimSpace(env.Name) == "" {
			return Settings{}, fmt.Errorf("policy: %s: environment %d has no Name", path, i+1)
		}
		if seen[env.Name] {
			// Two entries of one name would make the rendered tenant depend on their order.
			return Settings{}, fmt.Errorf("policy: %s: environment %q appears twice", path, env.Name)
		}
		seen[env.Name] = true
	}
	return s, nil
}

// Environment returns the environment of that exact name.
func (s Settings) Environment(name string) (Environment, error) {
	names := make([]string, 0, len(s.Environments))
	for _, env := range s.Environments {
		if env.Name == name {
			return env, nil
		}
		names = append(names, env.Name)
	}
	return Environment{}, fmt.Errorf("%w %q (appsettings.json has %s)", ErrUnknownEnvironment, name, strings.Join(names, ", "))
}

// value is what a {Settings:name} token becomes; ok is false when it has none. Tenant is the
// environment's own field, as in the VS Code extension.
func (e Environment) value(name string) (string, bool) {
	v := e.PolicySettings[name]
	if name == "Tenant" {
		v = e.Tenant
	}
	return v, strings.TrimSpace(v) != ""
}
