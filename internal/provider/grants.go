package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"idmebridge/internal/store"
)

// grant is what one completed sign-in authorises: stored under the hash of its code, and again
// under the hash of each access token issued from it.
type grant struct {
	ID            string         `json:"id"`
	ClientID      string         `json:"client_id"`
	RedirectURI   string         `json:"redirect_uri"`
	Nonce         string         `json:"nonce,omitempty"`
	CodeChallenge string         `json:"code_challenge,omitempty"`
	Scopes        []string       `json:"scopes"`
	Claims        map[string]any `json:"claims"`
	AuthTime      int64          `json:"auth_time"`
	Expires       int64          `json:"exp,omitempty"` // access tokens only
}

// maxClockSkew pads the lifetime of the single-use ledgers: a record's expiry is set by the
// clock of the instance that writes it, and the thing it guards (a code, a sealed state) by the
// clock of another. Without the margin a fast clock on one instance could let a ledger entry
// expire while what it guards is still accepted elsewhere.
const maxClockSkew = 5 * time.Minute

// Store keys. Codes and tokens are stored by hash, so the store never holds a usable one.
func codeKey(code string) string       { return "code/" + digest(code) }
func redeemedKey(code string) string   { return "redeemed/" + digest(code) }
func tokenKey(token string) string     { return "token/" + digest(token) }
func revokedKey(grantID string) string { return "revoked/" + grantID }
func stateKey(state string) string     { return "state/" + digest(state) }

func (p *Provider) issueCode(ctx context.Context, s pendingSignIn, claimSet map[string]any) (string, error) {
	code := randomToken()
	g := grant{
		ID: randomToken(), ClientID: s.ClientID, RedirectURI: s.RedirectURI, Nonce: s.Nonce,
		CodeChallenge: s.CodeChallenge, Scopes: s.Scopes, Claims: claimSet, AuthTime: p.now().Unix(),
	}
	if err := p.putJSON(ctx, codeKey(code), g, p.cfg.CodeTTL); err != nil {
		return "", err
	}
	return code, nil
}

func (p *Provider) putJSON(ctx context.Context, key string, v any, ttl time.Duration) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode record: %w", err)
	}
	return p.store.Create(ctx, key, body, ttl)
}

func (p *Provider) getGrant(ctx context.Context, key string) (*grant, error) {
	body, err := p.store.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	var g grant
	if err := json.Unmarshal(body, &g); err != nil {
		return nil, fmt.Errorf("decode record %s: %w", key, err)
	}
	return &g, nil
}

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
