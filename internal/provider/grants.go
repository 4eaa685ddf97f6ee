package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"idmebridge/internal/store"
)

// grant is what one completed sign-in authorises. It is not stored: it travels sealed inside
// the code (AES-GCM under the state keys, the purpose naming the client, so only that client's
// authenticated request can open it), which keeps the callback to one storage round trip and
// the token endpoint to one.
type grant struct {
	ID            string   `json:"id"` // random; names the grant in the single-use and revocation ledgers
	ClientID      string   `json:"c"`
	RedirectURI   string   `json:"r"`
	Subject       string   `json:"sub"`
	Nonce         string   `json:"n,omitempty"`
	CodeChallenge string   `json:"cc,omitempty"`
	Scopes        []string `json:"sc,omitempty"`
	// Claims are the released claims as one JSON object without protocol claim names
	// (tokenClaims): encoded once at the callback, then copied unchanged into the id_token and
	// the access token.
	Claims   json.RawMessage `json:"cl"`
	AuthTime int64           `json:"at"`
	// Format is grantFormat for a code sealed by this version. A code sealed before it (zero)
	// carries every released claim, protocol names included, and is filtered at /token.
	Format int `json:"f,omitempty"`
}

// grantFormat marks a grant whose Claims went through tokenClaims.
const grantFormat = 2

// filterLegacyClaims brings the claims of a grant sealed before grantFormat to the current form.
func (g *grant) filterLegacyClaims() error {
	var released map[string]any
	if err := json.Unmarshal(g.Claims, &released); err != nil {
		return fmt.Errorf("legacy grant claims: %w", err)
	}
	filtered, err := tokenClaims(released)
	if err != nil {
		return err
	}
	g.Claims, g.Format = filtered, grantFormat
	return nil
}

// accessGrant is what an access token carries, sealed: enough for userinfo without storage,
// except the one revocation lookup.
type accessGrant struct {
	GrantID  string          `json:"g"`
	ClientID string          `json:"c"`
	Subject  string          `json:"sub"`
	Claims   json.RawMessage `json:"cl"` // a JSON object, as in the grant
}

// Purposes the state keys seal for; each binds a sealed value to one use.
const accessPurpose = "access-token"

func codePurpose(clientID string) string { return "code\x00" + clientID }

// maxClockSkew pads the lifetime of the single-use ledgers: a record's expiry is set by the
// clock of the instance that writes it, and the thing it guards (a code, a sealed state) by the
// clock of another. Without the margin a fast clock on one instance could let a ledger entry
// expire while what it guards is still accepted elsewhere.
const maxClockSkew = 5 * time.Minute

// Ledger keys. Only digests and random grant ids are stored, never a usable code or token.
func stateKey(fingerprint string) string { return "state/" + fingerprint }
func redeemedKey(grantID string) string  { return "redeemed/" + grantID }
func revokedKey(grantID string) string   { return "revoked/" + grantID }

// revoked reports whether a grant was revoked because its code was replayed.
func (p *Provider) revoked(ctx context.Context, grantID string) (bool, error) {
	_, err := p.store.Get(ctx, revokedKey(grantID))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, store.ErrNotFound):
		return false, nil
	default:
		return false, err
	}
}

// revoke marks a grant revoked after its code was replayed (RFC 6749 section 4.1.2). It lives
// as long as any access token issued from the grant can.
func (p *Provider) revoke(ctx context.Context, grantID string) {
	// The revocation must land even if the replaying client hangs up.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		err = p.store.Create(ctx, revokedKey(grantID), nil, p.revocationTTL())
		if err == nil || errors.Is(err, store.ErrExists) {
			p.log.Warn("authorization code replayed: grant revoked", "grant", grantID[:8])
			return
		}
	}
	p.log.Error("could not record revocation after code replay", "err", err)
}

// revocationTTL covers every access token of a grant: issued at most CodeTTL after the grant,
// living TokenTTL, on clocks that may disagree.
func (p *Provider) revocationTTL() time.Duration {
	return p.cfg.CodeTTL + p.cfg.TokenTTL + maxClockSkew
}

// storeFailed logs a storage failure at step. A request the client abandoned cancels the
// storage call too: that is the client leaving, not an outage, so it is not logged as an error.
func (p *Provider) storeFailed(ctx context.Context, step string, err error) {
	if ctx.Err() != nil {
		p.log.Info("request abandoned by the client during storage", "step", step)
		return
	}
	p.log.Error("store unavailable at "+step, "err", err)
}
