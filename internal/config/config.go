// Package config reads and validates the bridge's settings (environment variables, which are
// Azure Functions app settings in Azure and local.settings.json Values under Core Tools) into
// one typed struct. Secret values are not settings: settings name them, package secrets reads them.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config is everything the bridge needs to know that is not a secret.
type Config struct {
	// Issuer is the bridge's public base URL and its OIDC issuer, e.g.
	// https://idme-bridge.azurewebsites.net. Every absolute URL the bridge emits starts with it.
	Issuer string
	// Port is where the HTTP server listens (FUNCTIONS_CUSTOMHANDLER_PORT under Functions).
	Port int
	// ListenHost is the interface to listen on: loopback by default, since the Functions host
	// forwards from 127.0.0.1.
	ListenHost string

	IDme IDme
	// Clients are the relying parties (B2C tenants, External ID tenants) allowed to federate.
	Clients []Client

	// Secret names, resolved through the secrets source.
	StateKeySecret    string
	SigningKeysSecret string

	CodeTTL  time.Duration // our authorization codes
	TokenTTL time.Duration // our id_tokens and access tokens
	StateTTL time.Duration // a sign-in round trip through ID.me

	// ClaimMappings are an operator's extra ID.me attribute -> claim rows ("handle=claim,...").
	ClaimMappings string
	// AllowEphemeralKeys lets the bridge sign with a generated key when no key set is
	// configured: right for local runs, wrong for any deployment B2C trusts.
	AllowEphemeralKeys bool
	LogLevel           string

	Azure Azure

	ExternalID ExternalID // the External ID custom authentication extension (externalid.go)
}

// Azure is where the bridge keeps what every instance must share.
type Azure struct {
	// KeyVaultURL, when set, is where secrets are read (with the managed identity); otherwise
	// they are settings.
	KeyVaultURL string
	// SecretsRefresh is how often Key Vault is read again, so rotated secrets are picked up.
	SecretsRefresh time.Duration
	// ManagedIdentityClientID names a user-assigned identity (AZURE_CLIENT_ID).
	ManagedIdentityClientID string
	// Store is "memory" (one instance) or "blob" (shared through AzureWebJobsStorage).
	Store          string
	StoreContainer string
	// VerificationRecords turns on keeping one record per completed verification.
	VerificationRecords   bool
	VerificationContainer string
	// VerificationInclude names sensitive claims (birthdate, SSN-like) to keep in records.
	VerificationInclude []string
}

// IDme is the upstream ID.me application.
type IDme struct {
	// Environment is "production" (api.id.me) or "sandbox" (api.idmelabs.com).
	Environment string
	// BaseURL overrides the environment's host, for the simulator or a proxy.
	BaseURL      string
	ClientID     string
	ClientSecret string // secret name
	// GroupsURL, when set, sends requests for several communities at once to ID.me's groups
	// page (production only) instead of /oauth/authorize.
	GroupsURL string
	Timeout   time.Duration
}

// Lookup reads one setting; os.LookupEnv fits.
type Lookup func(string) (string, bool)

// Load reads and validates every setting. All problems are reported together.
func Load(lookup Lookup) (*Config, error) {
	r := reader{lookup: lookup}
	c := &Config{
		Issuer:     strings.TrimRight(r.str("BRIDGE_ISSUER", ""), "/"),
		Port:       r.integer("FUNCTIONS_CUSTOMHANDLER_PORT", 8080),
		ListenHost: r.str("BRIDGE_LISTEN_HOST", "127.0.0.1"),
		IDme: IDme{
			Environment:  r.str("IDME_ENVIRONMENT", "sandbox"),
			BaseURL:      strings.TrimRight(r.str("IDME_BASE_URL", ""), "/"),
			ClientID:     r.str("IDME_CLIENT_ID", ""),
			ClientSecret: r.str("IDME_CLIENT_SECRET_NAME", "idme-client-secret"),
			GroupsURL:    r.str("IDME_GROUPS_URL", ""),
			Timeout:      r.duration("IDME_TIMEOUT", 10*time.Second),
		},
		StateKeySecret:     r.str("BRIDGE_STATE_KEY_SECRET_NAME", "bridge-state-key"),
		SigningKeysSecret:  r.str("BRIDGE_SIGNING_KEYS_SECRET_NAME", "bridge-signing-keys"),
		CodeTTL:            r.duration("BRIDGE_CODE_TTL", time.Minute),
		TokenTTL:           r.duration("BRIDGE_TOKEN_TTL", 10*time.Minute),
		StateTTL:           r.duration("BRIDGE_STATE_TTL", 30*time.Minute),
		ClaimMappings:      r.str("BRIDGE_CLAIM_MAPPINGS", ""),
		AllowEphemeralKeys: r.boolean("BRIDGE_ALLOW_EPHEMERAL_KEYS", false),
		LogLevel:           r.str("BRIDGE_LOG_LEVEL", "info"),
		Azure: Azure{
			KeyVaultURL:             r.str("BRIDGE_KEY_VAULT_URL", ""),
			SecretsRefresh:          r.duration("BRIDGE_SECRETS_REFRESH", 5*time.Minute),
			ManagedIdentityClientID: r.str("AZURE_CLIENT_ID", ""),
			Store:                   r.str("BRIDGE_STORE", ""),
			StoreContainer:          r.str("BRIDGE_STORE_CONTAINER", "idme-bridge"),
			VerificationRecords:     r.boolean("BRIDGE_VERIFICATION_RECORDS", false),
			VerificationContainer:   r.str("BRIDGE_VERIFICATION_CONTAINER", "idme-verifications"),
			VerificationInclude:     strings.FieldsFunc(r.str("BRIDGE_VERIFICATION_INCLUDE", ""), func(c rune) bool { return c == ',' || c == ' ' }),
		},
	}
	if c.Azure.Store == "" {
		// Codes must be single-use across instances: anything but a local run shares them.
		c.Azure.Store = "blob"
		if u, err := url.Parse(c.Issuer); err == nil && IsLoopbackHost(u.Hostname()) {
			c.Azure.Store = "memory"
		}
	}
	if c.Azure.Store != "memory" && c.Azure.Store != "blob" {
		r.fail("BRIDGE_STORE must be memory or blob, not %q", c.Azure.Store)
	}
	if c.Azure.KeyVaultURL != "" {
		r.checkURL("BRIDGE_KEY_VAULT_URL", c.Azure.KeyVaultURL)
		if c.AllowEphemeralKeys {
			r.fail("BRIDGE_ALLOW_EPHEMERAL_KEYS cannot be combined with BRIDGE_KEY_VAULT_URL")
		}
	}
	if u, err := url.Parse(c.Issuer); c.Azure.Store == "memory" && err == nil && u.Host != "" && !IsLoopbackHost(u.Hostname()) {
		r.fail("BRIDGE_STORE=memory is for local runs: codes must be single-use across every instance, so use blob")
	}
	if c.TokenTTL > 12*time.Hour || c.StateTTL > 2*time.Hour {
		// Records live in storage with a one-day lifecycle rule: stay well inside it.
		r.fail("BRIDGE_TOKEN_TTL must be at most 12h and BRIDGE_STATE_TTL at most 2h")
	}
	if c.Azure.SecretsRefresh < time.Second {
		r.fail("BRIDGE_SECRETS_REFRESH must be at least 1s")
	}
	if raw := r.str("BRIDGE_CLIENTS", ""); raw == "" {
		r.fail("BRIDGE_CLIENTS is required: a JSON array of the relying parties allowed to sign in")
	} else if clients, err := ParseClients(raw); err != nil {
		r.fail("BRIDGE_CLIENTS: %v", err)
	} else {
		c.Clients = clients
	}
	r.checkIssuer(c.Issuer)
	if c.IDme.ClientID == "" {
		r.fail("IDME_CLIENT_ID is required")
	}
	if c.IDme.Environment != "production" && c.IDme.Environment != "sandbox" {
		r.fail("IDME_ENVIRONMENT must be production or sandbox, not %q", c.IDme.Environment)
	}
	if c.IDme.BaseURL != "" {
		r.checkURL("IDME_BASE_URL", c.IDme.BaseURL)
	}
	if c.IDme.GroupsURL != "" {
		r.checkURL("IDME_GROUPS_URL", c.IDme.GroupsURL)
	}
	for name, d := range map[string]time.Duration{"BRIDGE_CODE_TTL": c.CodeTTL, "BRIDGE_TOKEN_TTL": c.TokenTTL, "BRIDGE_STATE_TTL": c.StateTTL, "IDME_TIMEOUT": c.IDme.Timeout} {
		if d <= 0 {
			r.fail("%s must be positive", name)
		}
	}
	if c.CodeTTL > 10*time.Minute {
		r.fail("BRIDGE_CODE_TTL must be at most 10m (codes are meant to be redeemed at once)")
	}
	if u, err := url.Parse(c.Issuer); c.AllowEphemeralKeys && err == nil && u.Host != "" && !IsLoopbackHost(u.Hostname()) {
		r.fail("BRIDGE_ALLOW_EPHEMERAL_KEYS is for local runs: with a public issuer every instance would sign with its own key")
	}
	if c.Port <= 0 || c.Port > 65535 {
		r.fail("FUNCTIONS_CUSTOMHANDLER_PORT must be a TCP port")
	}
	c.ExternalID = r.externalID(c)
	if len(r.problems) > 0 {
		return nil, fmt.Errorf("invalid settings:\n  %w", errors.Join(r.problems...))
	}
	return c, nil
}

// Client returns the registered client with the given id.
func (c *Config) Client(id string) (Client, bool) {
	for _, cl := range c.Clients {
		if cl.ID == id {
			return cl, true
		}
	}
	return Client{}, false
}

type reader struct {
	lookup   Lookup
	problems []error
}

func (r *reader) fail(format string, args ...any) {
	r.problems = append(r.problems, fmt.Errorf(format, args...))
}

func (r *reader) str(name, def string) string {
	if v, ok := r.lookup(name); ok && strings.TrimSpace(v) != "" {
		return strings.TrimSpace(v)
	}
	return def
}

func (r *reader) integer(name string, def int) int {
	s := r.str(name, "")
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		r.fail("%s: %q is not a whole number", name, s)
	}
	return n
}

func (r *reader) duration(name string, def time.Duration) time.Duration {
	s := r.str(name, "")
	if s == "" {
		return def
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		r.fail("%s: %q is not a duration such as 90s or 10m", name, s)
	}
	return d
}

func (r *reader) boolean(name string, def bool) bool {
	s := r.str(name, "")
	if s == "" {
		return def
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		r.fail("%s: %q is not true or false", name, s)
	}
	return b
}

func (r *reader) checkURL(name, raw string) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && IsLoopbackHost(u.Hostname()))) {
		r.fail("%s: %q must be an absolute https URL (http only on localhost)", name, raw)
	}
}

func (r *reader) checkIssuer(issuer string) {
	if issuer == "" {
		r.fail("BRIDGE_ISSUER is required: the bridge's public https base URL")
		return
	}
	r.checkURL("BRIDGE_ISSUER", issuer)
	if u, err := url.Parse(issuer); err == nil && (u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/")) {
		r.fail("BRIDGE_ISSUER must be a bare origin such as https://bridge.example.com: no path, query or fragment")
	}
}

// IsLoopbackHost reports whether host names this machine (where plain http is acceptable).
func IsLoopbackHost(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}
