package doctor

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"idmebridge/internal/b2cgraph"
	"idmebridge/internal/policy"
)

// B2COptions name the B2C side to check: the environment of the policies' appsettings.json,
// as `handler policy deploy -env` takes it. Without Env the B2C checks are skipped.
type B2COptions struct {
	Env string
	// Dir holds appsettings.json and the policy templates; default "policies".
	Dir string
	// Tenant to sign in to; default the environment's Tenant.
	Tenant string
	// GraphURL is Graph's beta endpoint; default b2cgraph.DefaultBaseURL.
	GraphURL string
}

// checkB2C checks, in the environment's B2C tenant, the policy key the policies read the
// bridge client's secret from, and that each policy file deploy would upload is there as
// rendered.
func checkB2C(ctx context.Context, o Options) []Finding {
	b := o.B2C
	if b.Env == "" {
		why := "no --b2c-env: the B2C tenant is not checked"
		return []Finding{
			{Check: "b2c.policy_key", Status: Skip, Detail: why},
			{Check: "b2c.policies", Status: Skip, Detail: why},
		}
	}
	if b.Dir == "" {
		b.Dir = "policies"
	}
	settingsFile := filepath.Join(b.Dir, policy.SettingsFile)
	env, err := policy.LoadEnvironment(b.Dir, b.Env)
	if err != nil {
		return []Finding{{Check: "b2c.settings", Status: Fail, Subject: settingsFile, Detail: err.Error(),
			Fix: "give --b2c-env an environment of " + settingsFile + " (--policies names another folder)"}}
	}
	tenant := b.Tenant
	if tenant == "" {
		tenant = env.Tenant
	}
	cred := o.GraphCredential
	if cred == nil {
		cred, err = azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{TenantID: tenant})
		if err != nil {
			return []Finding{{Check: "b2c.graph", Status: Fail, Subject: tenant, Detail: "no Azure credential: " + firstLine(err), Fix: b2cSignIn(tenant)}}
		}
	}
	g, err := b2cgraph.New(cred, b2cgraph.Options{BaseURL: b.GraphURL, Timeout: o.Timeout})
	if err != nil {
		return []Finding{{Check: "b2c.graph", Status: Fail, Subject: b.GraphURL, Detail: err.Error(), Fix: "give --graph Graph's beta endpoint, e.g. " + b2cgraph.DefaultBaseURL}}
	}
	findings := []Finding{checkPolicyKey(ctx, g, env, tenant, o.Now())}
	return append(findings, checkPolicies(ctx, g, b.Dir, env, tenant)...)
}

// checkPolicyKey checks that the key set named by the environment's BridgeClientSecretKey
// exists and that B2C has a key in it to use now. Only key metadata is read: Graph never
// returns a secret key's value ("The field is not readable", trustFrameworkKey resource type,
// Graph beta), and nothing of a key but its kid and dates is printed.
func checkPolicyKey(ctx context.Context, g *b2cgraph.Client, env policy.Environment, tenant string, now time.Time) Finding {
	f := Finding{Check: "b2c.policy_key"}
	name := strings.TrimSpace(env.PolicySettings["BridgeClientSecretKey"])
	if name == "" {
		f.Status, f.Detail = Fail, fmt.Sprintf("environment %q of %s sets no BridgeClientSecretKey", env.Name, policy.SettingsFile)
		f.Fix = "set BridgeClientSecretKey to the policy key holding the bridge client's secret, e.g. B2C_1A_IdmeBridgeSecret"
		return f
	}
	id := b2cgraph.KeySetID(name)
	f.Subject = id + " in " + tenant
	keyCmd := "handler policy key -env " + env.Name
	store := "store the bridge client's secret (the value of its secret_name in Key Vault) as the policy key: " + keyCmd
	ks, err := g.GetKeySet(ctx, id)
	switch {
	case errors.Is(err, b2cgraph.ErrNotFound):
		f.Status, f.Detail, f.Fix = Fail, "the policy key does not exist: the policies cannot present the bridge client's secret", store
		return f
	case err != nil:
		f.Status, f.Detail, f.Fix = Fail, "cannot read the policy key: "+graphDetail(err), graphFix(err, tenant, "TrustFrameworkKeySet.Read.All", "B2C IEF Keyset Administrator")
		return f
	case len(ks.Keys) == 0:
		f.Status, f.Detail, f.Fix = Fail, "the policy key has no secret in it", store
		return f
	}
	if reason := noCurrentKey(ks.Keys, now); reason != "" {
		f.Status, f.Detail, f.Fix = Fail, "no version of the policy key is valid now: "+reason, "store a new version of the bridge client's secret: "+keyCmd
		return f
	}
	active, err := g.GetActiveKey(ctx, id)
	switch {
	case errors.Is(err, b2cgraph.ErrNotFound):
		f.Status, f.Detail, f.Fix = Fail, "B2C reports no active key in the policy key", store
	case err != nil:
		f.Status, f.Detail, f.Fix = Fail, "cannot read the active key: "+graphDetail(err), graphFix(err, tenant, "TrustFrameworkKeySet.Read.All", "B2C IEF Keyset Administrator")
	default:
		f.Status, f.Detail = Pass, "present; the active key is "+active.KID+untilText(active)
	}
	return f
}

// noCurrentKey says why no key of the set may be used now, or "" when one may: not yet valid
// (nbf), expired (exp) or disabled (status), the properties of trustFrameworkKey (Graph beta).
func noCurrentKey(keys []b2cgraph.Key, now time.Time) string {
	var expired, early, disabled int
	for _, k := range keys {
		nbf, hasNBF := k.NotBefore()
		exp, hasEXP := k.Expires()
		switch {
		case strings.EqualFold(k.Status, "disabled"):
			disabled++
		case hasNBF && nbf.After(now):
			early++
		case hasEXP && !exp.After(now):
			expired++
		default:
			return ""
		}
	}
	var parts []string
	for _, p := range []struct {
		n    int
		what string
	}{{expired, "expired"}, {early, "not valid yet"}, {disabled, "disabled"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.what))
		}
	}
	return strings.Join(parts, ", ")
}

func untilText(k b2cgraph.Key) string {
	if exp, ok := k.Expires(); ok {
		return ", valid until " + exp.UTC().Format(time.RFC3339)
	}
	return ", with no expiry"
}

// checkPolicies downloads the tenant's copy of each policy file deploy would upload and compares
// it with the file rendered here (samePolicy says what may differ).
func checkPolicies(ctx context.Context, g *b2cgraph.Client, dir string, env policy.Environment, tenant string) []Finding {
	uploads, err := policy.RenderUploads(dir, env)
	if err != nil {
		return []Finding{{Check: "b2c.policies", Status: Fail, Subject: dir, Detail: "the policy files do not render: " + firstLine(err),
			Fix: "handler policy render -src " + dir + " -env " + env.Name + " lists every problem"}}
	}
	deploy := "handler policy deploy -env " + env.Name
	var findings []Finding
	for i, u := range uploads {
		f := Finding{Check: "b2c.policies", Subject: u.PolicyID + " in " + tenant}
		stored, err := g.GetPolicy(ctx, u.PolicyID)
		var ge *b2cgraph.Error
		switch {
		case errors.Is(err, b2cgraph.ErrNotFound):
			f.Status, f.Detail, f.Fix = Fail, "missing: the tenant has no policy of that id (rendered from "+u.File+")", deploy
		case errors.As(err, &ge) && (ge.Status == http.StatusUnauthorized || ge.Status == http.StatusForbidden):
			f.Status, f.Detail, f.Fix = Fail, "cannot read the policies: "+graphDetail(err), graphFix(err, tenant, "Policy.Read.All", "B2C IEF Policy Administrator")
			// The other files would be refused the same way: say it once.
			if rest := len(uploads) - i - 1; rest > 0 {
				return append(findings, f, Finding{Check: "b2c.policies", Status: Skip, Detail: fmt.Sprintf("%d more policy file(s) not read", rest)})
			}
		case err != nil:
			f.Status, f.Detail = Fail, "cannot read the policy: "+graphDetail(err)
		default:
			same, line, storedLine, err := samePolicy(u.Data, stored)
			switch {
			case err != nil:
				f.Status, f.Detail, f.Fix = Fail, "cannot compare with "+u.File+": "+firstLine(err), deploy
			case same:
				f.Status, f.Detail = Pass, "equal to the rendered "+u.File
			default:
				f.Status, f.Detail = Fail, "differs from the rendered "+u.File+" "+where(line, storedLine)
				f.Fix = deploy + " uploads the rendered files; if the tenant's copy was changed on purpose, bring the change into " + dir
			}
		}
		findings = append(findings, f)
	}
	return findings
}

// where names the first difference by line, never by content (a policy may hold values its
// owner would rather not see in a log).
func where(line, storedLine int) string {
	switch {
	case line == 0:
		return fmt.Sprintf("after its end: the tenant's copy goes on at its line %d", storedLine)
	case storedLine == 0:
		return fmt.Sprintf("from line %d: the tenant's copy ends before it", line)
	}
	return fmt.Sprintf("from line %d (line %d of the tenant's copy)", line, storedLine)
}

// graphDetail is Graph's refusal without b2cgraph's advice, which the finding's fix replaces
// with the read-only permission doctor needs.
func graphDetail(err error) string {
	var ge *b2cgraph.Error
	if !errors.As(err, &ge) {
		return firstLine(err)
	}
	s := fmt.Sprintf("HTTP %d", ge.Status)
	if ge.Code != "" {
		s += " " + ge.Code
	}
	if ge.Message != "" {
		s += ": " + clip(ge.Message, 300)
	}
	if ge.RequestID != "" {
		s += " [request-id " + ge.RequestID + "]"
	}
	return s
}

// graphFix says what to do about a refused Graph read: sign in to the B2C tenant (401), or get
// the permission (403) the Graph page of the call names as least privileged, with the role
// that grants it to a person.
func graphFix(err error, tenant, permission, role string) string {
	var ge *b2cgraph.Error
	if errors.As(err, &ge) {
		switch ge.Status {
		case http.StatusUnauthorized:
			return b2cSignIn(tenant)
		case http.StatusForbidden:
			return "grant " + permission + " to the signed-in identity in " + tenant + " (for a person, the " + role + " role)"
		}
	}
	var auth *azidentity.AuthenticationFailedError
	if errors.As(err, &auth) || strings.Contains(err.Error(), "get a token") {
		return b2cSignIn(tenant)
	}
	return ""
}

func b2cSignIn(tenant string) string {
	return "sign in to the B2C tenant as well: az login --tenant " + tenant + " --allow-no-subscriptions (or set AZURE_TENANT_ID/AZURE_CLIENT_ID/AZURE_CLIENT_SECRET for an app registration in it)"
}
