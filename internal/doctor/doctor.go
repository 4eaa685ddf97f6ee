// Package doctor checks a bridge's configuration before users meet it: the settings (the same
// config.Load that serve runs), then, unless offline, everything serve will reach: ID.me's
// discovery and its answer to the registered callback, Key Vault and each named secret, the
// signing key set, and the Blob store; and, when asked, the B2C tenant (the policy key and the
// uploaded policies) and the region's Flex Consumption runtimes. Each finding says what is wrong and how to fix it; no
// secret value is ever printed.
package doctor

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"idmebridge/internal/config"
	"idmebridge/internal/secrets"
)

// Status is a finding's outcome.
type Status string

const (
	Pass Status = "pass"
	Fail Status = "fail"
	// Skip means the check could not run because an earlier one failed, or does not apply.
	Skip Status = "skip"
)

// Finding is the outcome of one check.
type Finding struct {
	// Check names what was checked, e.g. "settings", "idme.discovery", "keyvault.secret".
	Check  string `json:"check"`
	Status Status `json:"status"`
	// Subject is what the check looked at (a setting, a secret name, a URL), when it helps.
	Subject string `json:"subject,omitempty"`
	Detail  string `json:"detail"`
	// Fix says what to do about a failure.
	Fix string `json:"fix,omitempty"`
}

// Options are what a doctor run reads and talks to. Only Lookup is required.
type Options struct {
	// Lookup reads settings, as serve's does (os.LookupEnv).
	Lookup config.Lookup
	// Offline limits the run to the checks that need no network (the check command).
	Offline bool
	// Timeout bounds each outbound call; default 10s.
	Timeout time.Duration
	// HTTPClient carries the calls to ID.me; nil: a default client. Redirects are never
	// followed whatever it says.
	HTTPClient *http.Client
	// Credential, KeyVaultTransport and Secrets replace what the settings choose (tests, dev
	// mode), as the same fields of app.Parts do.
	Credential        azcore.TokenCredential
	KeyVaultTransport policy.Transporter
	Secrets           secrets.Source
	Now               func() time.Time

	// B2C names the B2C environment to check (--b2c-env); its zero value skips those checks.
	B2C B2COptions
	// GraphCredential signs in to the B2C tenant; nil: azidentity's default chain in that
	// tenant, as `handler policy deploy` signs in.
	GraphCredential azcore.TokenCredential
	// Location is the Azure region to check for the custom runtime on Flex Consumption
	// (--location); empty skips that check.
	Location string
	// ARMURL is Azure Resource Manager's endpoint; default DefaultARMURL.
	ARMURL string
	// ARMCredential signs in to Azure Resource Manager; nil: azidentity's default chain.
	ARMCredential azcore.TokenCredential
}

// Run performs every check and returns the findings in order.
func Run(ctx context.Context, o Options) []Finding {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	cfg, findings := checkSettings(o.Lookup)
	if cfg == nil {
		return findings
	}
	findings = append(findings, checkIDmeClientID(cfg))
	if o.Offline {
		return findings
	}
	findings = append(findings, checkIDme(ctx, cfg, o)...)
	values, secretFindings := checkSecrets(ctx, cfg, o)
	findings = append(findings, secretFindings...)
	findings = append(findings, checkIDmeSecret(ctx, cfg, values, o))
	findings = append(findings, checkStateKey(cfg, values))
	findings = append(findings, checkSigningKeys(cfg, values, o.Now())...)
	findings = append(findings, checkBlob(ctx, cfg, o)...)
	findings = append(findings, checkAPIConnectors(ctx, cfg, values, o)...)
	findings = append(findings, checkB2C(ctx, o)...)
	findings = append(findings, checkRegion(ctx, o))
	return findings
}

// OK reports whether no finding failed.
func OK(findings []Finding) bool {
	for _, f := range findings {
		if f.Status == Fail {
			return false
		}
	}
	return true
}

// checkSettings runs config.Load, turning each problem it reports into a finding.
func checkSettings(lookup config.Lookup) (*config.Config, []Finding) {
	cfg, err := config.Load(lookup)
	if err == nil {
		return cfg, []Finding{{Check: "settings", Status: Pass, Detail: "every setting is valid"}}
	}
	var findings []Finding
	for _, line := range strings.Split(err.Error(), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line == "invalid settings:" {
			continue
		}
		// Each message of config.Load already says how to fix it.
		findings = append(findings, Finding{Check: "settings", Status: Fail, Detail: line})
	}
	return nil, findings
}

// withTimeout bounds one outbound call.
func withTimeout(ctx context.Context, o Options) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, o.Timeout)
}
