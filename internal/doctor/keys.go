package doctor

import (
	"context"
	"fmt"
	"time"

	"idmebridge/internal/config"
	"idmebridge/internal/keys"
	"idmebridge/internal/seal"
)

// checkStateKey checks that the state key decodes to a sealing key.
func checkStateKey(cfg *config.Config, sv secretValues) Finding {
	f := Finding{Check: "state_key", Subject: cfg.StateKeySecret}
	raw, ok := sv.values[cfg.StateKeySecret]
	if !ok {
		f.Status, f.Detail = Skip, "no state key to check"
		return f
	}
	if _, err := seal.ParseKey(raw); err != nil {
		f.Status, f.Detail = Fail, "the state key is not usable: "+err.Error()
		f.Fix = "replace it with the output of `handler keys state`"
		return f
	}
	f.Status, f.Detail = Pass, "a 256-bit sealing key"
	return f
}

// checkSigningKeys checks the signing key set with the same parser serve uses (RSA keys of at
// least 2048 bits, unique kids), that a key may sign now, and that each key still to come has
// been published for at least BRIDGE_SIGNING_KEY_LEAD before it signs, so every instance and
// relying party has fetched it.
func checkSigningKeys(cfg *config.Config, sv secretValues, now time.Time) []Finding {
	f := Finding{Check: "signing_keys", Subject: cfg.SigningKeysSecret}
	raw, ok := sv.values[cfg.SigningKeysSecret]
	if !ok {
		f.Status, f.Detail = Skip, "no signing key set to check"
		return []Finding{f}
	}
	set, err := keys.Parse([]byte(raw))
	if err != nil {
		f.Status, f.Detail = Fail, "the signing key set is not usable: "+err.Error()
		f.Fix = "replace it with the output of `handler keys new` (RSA 2048, a kid per key)"
		return []Finding{f}
	}
	kid := set.SigningKeyID(now, cfg.TokenTTL)
	if kid == "" {
		f.Status, f.Detail = Fail, "no key may sign now (none has started, or each leaves the JWKS before a token would expire)"
		f.Fix = "see `handler keys show`; store a set that signs at once (`handler keys new`), keeping the old keys published"
		return []Finding{f}
	}
	f.Status, f.Detail = Pass, fmt.Sprintf("%d key(s); %s signs now", len(set.Keys()), kid)
	findings := []Finding{f}
	for _, k := range set.Keys() {
		if !k.SignsFrom.After(now) {
			continue
		}
		next := Finding{Check: "signing_keys.next", Subject: k.KeyID}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		published, known := sv.firstSeen(ctx, cfg.SigningKeysSecret, k.KeyID)
		cancel()
		lead := k.SignsFrom.Sub(published)
		switch {
		case !known:
			// Without version history the best bound is now: it is published from now at the latest.
			if k.SignsFrom.Sub(now) < cfg.SigningKeyLead {
				next.Status = Skip
				next.Detail = fmt.Sprintf("signs at %s, in %s, less than BRIDGE_SIGNING_KEY_LEAD (%s) from now; when it was published cannot be told without Key Vault's version history",
					k.SignsFrom.UTC().Format(time.RFC3339), k.SignsFrom.Sub(now).Round(time.Minute), cfg.SigningKeyLead)
			} else {
				next.Status, next.Detail = Pass, fmt.Sprintf("signs at %s, at least %s from now", k.SignsFrom.UTC().Format(time.RFC3339), cfg.SigningKeyLead)
			}
		case lead < cfg.SigningKeyLead:
			next.Status = Fail
			next.Detail = fmt.Sprintf("signs at %s but was published at %s, only %s before: relying parties may not have fetched it (BRIDGE_SIGNING_KEY_LEAD is %s)",
				k.SignsFrom.UTC().Format(time.RFC3339), published.UTC().Format(time.RFC3339), lead.Round(time.Minute), cfg.SigningKeyLead)
			next.Fix = "remove this key and add a new one with `handler keys add --lead " + cfg.SigningKeyLead.String() + "`"
		default:
			next.Status, next.Detail = Pass, fmt.Sprintf("signs at %s, published %s before", k.SignsFrom.UTC().Format(time.RFC3339), lead.Round(time.Minute))
		}
		findings = append(findings, next)
	}
	return findings
}
