package doctor

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"idmebridge/internal/app"
	"idmebridge/internal/config"
	"idmebridge/internal/secrets"
)

// secretValues are the values the secrets checks found, kept in memory for the checks of their
// content (state key, signing key set) and never printed.
type secretValues struct {
	values map[string]string
	// firstSeen says when a signing key first appeared in the named secret: the creation time
	// of the oldest Key Vault version holding it. ok is false where there is no history
	// (secrets as settings).
	firstSeen func(ctx context.Context, name, kid string) (t time.Time, ok bool)
}

// secretRole says what a secret is for and how to make it, for findings.
func secretRole(cfg *config.Config, name string) (what, makeIt string) {
	switch name {
	case cfg.StateKeySecret:
		return "the state key", "`handler keys state`"
	case cfg.SigningKeysSecret:
		return "the signing key set", "`handler keys new`"
	case cfg.IDme.ClientSecret:
		return "the ID.me client secret", "the Client Secret of your application in ID.me's developer portal"
	}
	var ids, connector, previous []string
	for _, c := range cfg.Clients {
		switch name {
		case c.SecretName:
			ids = append(ids, c.ID)
		case c.APIConnectorSecretName:
			connector = append(connector, c.ID)
		case c.PreviousAPIConnectorSecretName:
			previous = append(previous, c.ID)
		}
	}
	// The B2C user flow's API connector presents this password (HTTP Basic, user = client id).
	const connectorValue = "a long random value (`openssl rand -base64 32`), the same as the password of the user flow's API connector in B2C"
	switch {
	case len(ids) > 0:
		return "the secret of client " + strings.Join(ids, ", "), "a long random value (`openssl rand -base64 32`), the same as the client's policy key"
	case len(connector) > 0:
		return "the B2C API connector password of client " + strings.Join(connector, ", "), connectorValue
	case len(previous) > 0:
		return "the previous B2C API connector password of client " + strings.Join(previous, ", ") + " (during a rotation)", connectorValue
	}
	return "the secret " + name, "its value"
}

// optional reports secrets a local run may go without (the bridge then makes throwaway ones).
func optional(cfg *config.Config, name string) bool {
	return cfg.AllowEphemeralKeys && (name == cfg.StateKeySecret || name == cfg.SigningKeysSecret)
}

// checkSecrets finds every secret the configuration names, in Key Vault when configured,
// otherwise in the settings (or o.Secrets).
func checkSecrets(ctx context.Context, cfg *config.Config, o Options) (secretValues, []Finding) {
	if cfg.Azure.KeyVaultURL != "" && o.Secrets == nil {
		return checkKeyVault(ctx, cfg, o)
	}
	src := o.Secrets
	if src == nil {
		src = secrets.Env{Lookup: o.Lookup}
	}
	sv := secretValues{values: map[string]string{}, firstSeen: func(context.Context, string, string) (time.Time, bool) { return time.Time{}, false }}
	var findings []Finding
	for _, name := range cfg.SecretNames() {
		what, makeIt := secretRole(cfg, name)
		setting := config.SecretSettingName(name)
		f := Finding{Check: "secret", Subject: name}
		cctx, cancel := withTimeout(ctx, o)
		v, err := src.Get(cctx, name)
		cancel()
		switch {
		case err == nil:
			sv.values[name] = v
			f.Status, f.Detail = Pass, what+" is set"
		case errors.Is(err, secrets.ErrNotFound) && optional(cfg, name):
			f.Status, f.Detail = Pass, what+" is not set: this local run makes a throwaway one (BRIDGE_ALLOW_EPHEMERAL_KEYS)"
		case errors.Is(err, secrets.ErrNotFound):
			f.Status, f.Detail = Fail, fmt.Sprintf("%s is missing: setting %s is not set", what, setting)
			f.Fix = fmt.Sprintf("set %s to %s, or keep secrets in Key Vault (BRIDGE_KEY_VAULT_URL)", setting, makeIt)
		default:
			f.Status, f.Detail = Fail, what+": "+err.Error()
		}
		findings = append(findings, f)
	}
	return sv, findings
}

// checkKeyVault reads each named secret with the credential serve uses: present, enabled, not
// expired, not empty.
func checkKeyVault(ctx context.Context, cfg *config.Config, o Options) (secretValues, []Finding) {
	sv := secretValues{values: map[string]string{}, firstSeen: func(context.Context, string, string) (time.Time, bool) { return time.Time{}, false }}
	vault := cfg.Azure.KeyVaultURL
	client, err := app.KeyVaultClient(app.Parts{Config: cfg, Credential: o.Credential, KeyVaultTransport: o.KeyVaultTransport})
	if err != nil {
		return sv, []Finding{{Check: "keyvault", Status: Fail, Subject: vault, Detail: err.Error(), Fix: identityFix(cfg)}}
	}
	vaultName := vault
	if u, err := url.Parse(vault); err == nil {
		vaultName, _, _ = strings.Cut(u.Hostname(), ".")
	}
	reach := Finding{Check: "keyvault", Subject: vault, Status: Pass, Detail: "reachable with the bridge's identity"}
	var findings []Finding
	now := o.Now()
	for _, name := range cfg.SecretNames() {
		what, makeIt := secretRole(cfg, name)
		set := fmt.Sprintf("az keyvault secret set --vault-name %s --name %s --value <%s>", vaultName, name, makeIt)
		if name == cfg.SigningKeysSecret || name == cfg.StateKeySecret {
			set = fmt.Sprintf("%s > value.txt && az keyvault secret set --vault-name %s --name %s --file value.txt && rm value.txt", strings.Trim(makeIt, "`"), vaultName, name)
		}
		f := Finding{Check: "keyvault.secret", Subject: name}
		cctx, cancel := withTimeout(ctx, o)
		resp, err := client.GetSecret(cctx, name, "", nil)
		cancel()
		var re *azcore.ResponseError
		var authErr *azidentity.AuthenticationFailedError
		switch {
		case err == nil:
			attrs := resp.Attributes
			switch {
			case attrs != nil && attrs.Enabled != nil && !*attrs.Enabled:
				f.Status, f.Detail = Fail, what+" is disabled"
				f.Fix = fmt.Sprintf("az keyvault secret set-attributes --vault-name %s --name %s --enabled true (or store a new version)", vaultName, name)
			case attrs != nil && attrs.Expires != nil && attrs.Expires.Before(now):
				f.Status, f.Detail = Fail, fmt.Sprintf("%s expired at %s", what, attrs.Expires.UTC().Format(time.RFC3339))
				f.Fix = "store a new version: " + set
			case resp.Value == nil || *resp.Value == "":
				f.Status, f.Detail, f.Fix = Fail, what+" is empty", set
			default:
				sv.values[name] = *resp.Value
				f.Status, f.Detail = Pass, what+" is present and enabled"
			}
		case errors.As(err, &re) && re.StatusCode == http.StatusNotFound:
			f.Status, f.Detail, f.Fix = Fail, what+" does not exist in the vault", set
		case errors.As(err, &re) && (re.ErrorCode == "SecretDisabled" || strings.Contains(strings.ToLower(err.Error()), "disabled")):
			f.Status, f.Detail = Fail, what+" is disabled"
			f.Fix = fmt.Sprintf("az keyvault secret set-attributes --vault-name %s --name %s --enabled true (or store a new version)", vaultName, name)
		case errors.As(err, &re) && re.StatusCode == http.StatusForbidden:
			reach.Status, reach.Detail = Fail, "the bridge's identity may not read secrets ("+re.ErrorCode+")"
			reach.Fix = "grant the identity the 'Key Vault Secrets User' role on the vault: az role assignment create --role \"Key Vault Secrets User\" --assignee <identity principal id> --scope <vault resource id>"
		case errors.As(err, &authErr) || errors.As(err, &re) && re.StatusCode == http.StatusUnauthorized:
			reach.Status, reach.Detail, reach.Fix = Fail, "no token for Key Vault: "+firstLine(err), identityFix(cfg)
		default:
			reach.Status, reach.Detail = Fail, "not reachable: "+firstLine(err)
			reach.Fix = "check BRIDGE_KEY_VAULT_URL and the vault's network rules (the Function App must reach it)"
		}
		if reach.Status == Fail {
			// Every other secret would fail the same way: say it once.
			findings = append([]Finding{reach}, Finding{Check: "keyvault.secret", Status: Skip, Detail: "Key Vault cannot be read"})
			return sv, findings
		}
		findings = append(findings, f)
	}
	sv.firstSeen = func(ctx context.Context, name, kid string) (time.Time, bool) {
		return firstVersionWith(ctx, client, name, kid, o)
	}
	return sv, append([]Finding{reach}, findings...)
}

// firstVersionWith returns the creation time of the oldest version of a secret whose value
// holds kid (the moment that key was first published), looking at 25 versions at most.
func firstVersionWith(ctx context.Context, client *azsecrets.Client, name, kid string, o Options) (time.Time, bool) {
	type version struct {
		id      string
		created time.Time
	}
	var versions []version
	pager := client.NewListSecretPropertiesVersionsPager(name, nil)
	for pager.More() && len(versions) < 100 {
		cctx, cancel := withTimeout(ctx, o)
		page, err := pager.NextPage(cctx)
		cancel()
		if err != nil {
			return time.Time{}, false
		}
		for _, p := range page.Value {
			if p.ID != nil && p.Attributes != nil && p.Attributes.Created != nil {
				versions = append(versions, version{id: p.ID.Version(), created: *p.Attributes.Created})
			}
		}
	}
	sort.Slice(versions, func(i, j int) bool { return versions[i].created.Before(versions[j].created) })
	if len(versions) > 25 {
		versions = versions[len(versions)-25:]
	}
	for _, v := range versions {
		cctx, cancel := withTimeout(ctx, o)
		resp, err := client.GetSecret(cctx, name, v.id, nil)
		cancel()
		if err == nil && resp.Value != nil && strings.Contains(*resp.Value, `"`+kid+`"`) {
			return v.created, true
		}
	}
	return time.Time{}, false
}

func identityFix(cfg *config.Config) string {
	if cfg.Azure.IdentityEndpoint == "" {
		return "outside Azure the bridge uses your developer credential: run `az login` (or set AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET for a service principal)"
	}
	if cfg.Azure.ManagedIdentityClientID == "" {
		return "the app uses its system-assigned identity: enable it, or set AZURE_CLIENT_ID to the client id of the user-assigned identity attached to the app"
	}
	return "AZURE_CLIENT_ID must be the client id of a user-assigned identity attached to the Function App"
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return clip(s, 300)
}
