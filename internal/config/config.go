// Package config reads and validates the bridge's settings (environment variables, which are
// Azure Functions app settings in Azure and local.settings.json Values under Core Tools) into
// one typed struct. Secret values are not settings: settings name them, package secrets reads them.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"idmebridge/internal/claims"
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

	// SigningKeyLead is how long a new signing key must be published before it signs, so every
	// instance and relying party has fetched it first (doctor checks the key set against it).
	SigningKeyLead time.Duration

	// ClaimMappings are an operator's extra ID.me attribute -> claim rows ("handle=claim,..."),
	// parsed and checked against the built-in table.
	ClaimMappings []claims.Mapping
	// AllowEphemeralKeys lets the bridge sign with a generated key when no key set is
	// configured: right for local runs, wrong for any deployment B2C trusts.
	AllowEphemeralKeys bool
	LogLevel           slog.Level

	Azure Azure

	ExternalID ExternalID // the External ID custom authentication extension (externalid.go)

	APIConnector APIConnector // the B2C user-flow API connector (apiconnector.go)
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
	// IdentityEndpoint is set by the platform when the app has a managed identity; then the
	// bridge uses that identity directly rather than a developer credential.
	IdentityEndpoint string
	// Storage is the Functions host's storage connection, shared for the records.
	Storage Storage
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
		Issuer:     strings.TrimRight(r.str("BRIDGE_ISSUER"), "/"),
		Port:       r.integer("FUNCTIONS_CUSTOMHANDLER_PORT"),
		ListenHost: r.str("BRIDGE_LISTEN_HOST"),
		IDme: IDme{
			Environment:  r.str("IDME_ENVIRONMENT"),
			BaseURL:      strings.TrimRight(r.str("IDME_BASE_URL"), "/"),
			ClientID:     r.str("IDME_CLIENT_ID"),
			ClientSecret: r.str("IDME_CLIENT_SECRET_NAME"),
			GroupsURL:    r.str("IDME_GROUPS_URL"),
			Timeout:      r.duration("IDME_TIMEOUT"),
		},
		StateKeySecret:     r.str("BRIDGE_STATE_KEY_SECRET_NAME"),
		SigningKeysSecret:  r.str("BRIDGE_SIGNING_KEYS_SECRET_NAME"),
		CodeTTL:            r.duration("BRIDGE_CODE_TTL"),
		TokenTTL:           r.duration("BRIDGE_TOKEN_TTL"),
		StateTTL:           r.duration("BRIDGE_STATE_TTL"),
		SigningKeyLead:     r.duration("BRIDGE_SIGNING_KEY_LEAD"),
		ClaimMappings:      r.claimMappings("BRIDGE_CLAIM_MAPPINGS"),
		AllowEphemeralKeys: r.boolean("BRIDGE_ALLOW_EPHEMERAL_KEYS"),
		LogLevel:           r.logLevel("BRIDGE_LOG_LEVEL"),
		Azure: Azure{
			KeyVaultURL:             r.str("BRIDGE_KEY_VAULT_URL"),
			SecretsRefresh:          r.duration("BRIDGE_SECRETS_REFRESH"),
			ManagedIdentityClientID: r.str("AZURE_CLIENT_ID"),
			IdentityEndpoint:        r.str("IDENTITY_ENDPOINT"),
			Storage:                 r.readStorage(),
			Store:                   r.str("BRIDGE_STORE"),
			StoreContainer:          r.str("BRIDGE_STORE_CONTAINER"),
			VerificationRecords:     r.boolean("BRIDGE_VERIFICATION_RECORDS"),
			VerificationContainer:   r.str("BRIDGE_VERIFICATION_CONTAINER"),
			VerificationInclude:     strings.FieldsFunc(r.str("BRIDGE_VERIFICATION_INCLUDE"), func(c rune) bool { return c == ',' || c == ' ' }),
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
	if raw := r.str("BRIDGE_CLIENTS"); raw == "" {
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
	if c.SigningKeyLead < time.Hour {
		r.fail("BRIDGE_SIGNING_KEY_LEAD must be at least 1h: instances and relying parties must see a key before it signs")
	}
	// With the memory store (a local run) verification records are kept in memory too.
	if needsBlob := c.Azure.Store == "blob"; needsBlob && !c.Azure.Storage.Configured() {
		r.fail("Blob Storage is needed (BRIDGE_STORE=blob) but no connection is set: set %s=<account> with %s=managedidentity (and %s for a user-assigned identity), or %s=UseDevelopmentStorage=true locally",
			StorageAccountSetting, StorageCredentialSetting, StorageClientIDSetting, StorageSetting)
	}
	if c.Azure.KeyVaultURL == "" {
		// Secrets are settings then: a value copied from the sample is as wrong as a setting's.
		for _, name := range c.SecretNames() {
			if v, _ := lookup(SecretSettingName(name)); isPlaceholder(v) {
				r.fail("%s (secret %s) still holds the sample's placeholder: set the real value, or keep secrets in Key Vault (BRIDGE_KEY_VAULT_URL)", SecretSettingName(name), name)
			}
		}
	}
	if c.Port <= 0 || c.Port > 65535 {
		r.fail("FUNCTIONS_CUSTOMHANDLER_PORT must be a TCP port")
	}
	c.ExternalID = r.externalID(c)
	c.APIConnector = r.apiConnector(c)
	if len(r.problems) > 0 {
		return nil, &settingsError{problems: r.problems}
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

// raw returns a setting as set (trimmed), or "" when unset or blank. Every setting goes
// through here, and only settings in the table may.
func (r *reader) raw(name string) string {
	if _, ok := settingFor(name); !ok {
		r.fail("%s is read but not in the settings table", name)
		return ""
	}
	v, ok := r.lookup(name)
	if !ok {
		return ""
	}
	v = strings.TrimSpace(v)
	if isPlaceholder(v) {
		shown := v
		if len(shown) > 60 {
			shown = shown[:60] + "..."
		}
		r.fail("%s still holds the sample's placeholder (%s): replace it with the real value", name, shown)
	}
	return v
}

func (r *reader) str(name string) string {
	if v := r.raw(name); v != "" {
		return v
	}
	s, _ := settingFor(name)
	return s.Default
}

func (r *reader) integer(name string) int {
	s := r.str(name)
	n, err := strconv.Atoi(s)
	if err != nil {
		r.fail("%s: %q is not a whole number", name, s)
	}
	return n
}

func (r *reader) duration(name string) time.Duration {
	s := r.str(name)
	d, err := time.ParseDuration(s)
	if err != nil {
		r.fail("%s: %q is not a duration such as 90s or 10m", name, s)
	}
	return d
}

func (r *reader) boolean(name string) bool {
	s := r.str(name)
	b, err := strconv.ParseBool(s)
	if err != nil {
		r.fail("%s: %q is not true or false", name, s)
	}
	return b
}

// claimMappings parses the extra rows with the translator's own parser and builds the table
// once, so a row the translator would refuse at start-up is refused here.
func (r *reader) claimMappings(name string) []claims.Mapping {
	raw := r.str(name)
	rows, err := claims.ParseMappings(raw)
	if err == nil {
		_, err = claims.NewTranslator(rows)
	}
	if err != nil {
		r.fail("%s: %v (rows are handle=claim separated by commas, e.g. military_rank=rank)", name, err)
		return nil
	}
	return rows
}

// logLevel accepts the four slog levels by name only.
func (r *reader) logLevel(name string) slog.Level {
	l, err := ParseLogLevel(r.str(name))
	if err != nil {
		r.fail("%s: %v", name, err)
	}
	return l
}

// ParseLogLevel reads debug, info, warn or error (any case).
func ParseLogLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return slog.LevelInfo, fmt.Errorf("log level must be debug, info, warn or error, not %q", s)
}

// isPlaceholder reports a value copied unchanged from local.settings.sample.json.
func isPlaceholder(v string) bool {
	return strings.Contains(strings.ToLower(v), "replace-with-")
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

// IsLoopbackHost reports whether host (a URL's Hostname(), without brackets or port) names this
// machine: "localhost" or a loopback IP literal (127.0.0.0/8, ::1). Plain http is acceptable only
// there, and the load test and dev mode talk only there.
func IsLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// settingsError lists every problem Load found, one indented line each.
type settingsError struct{ problems []error }

func (e *settingsError) Error() string {
	var b strings.Builder
	b.WriteString("invalid settings:")
	for _, p := range e.problems {
		b.WriteString("\n  ")
		b.WriteString(strings.ReplaceAll(p.Error(), "\n", "\n  "))
	}
	return b.String()
}

func (e *settingsError) Unwrap() []error { return e.problems }

// Problems lists the problems in an error from Load, one line each, for a log attribute; any
// other error is one problem.
func Problems(err error) []string {
	var se *settingsError
	if !errors.As(err, &se) {
		return []string{err.Error()}
	}
	out := make([]string, 0, len(se.problems))
	for _, p := range se.problems {
		out = append(out, strings.Join(strings.Fields(p.Error()), " "))
	}
	return out
}
