package provider

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"idmebridge/internal/claims"
	"idmebridge/internal/outcome"
	"idmebridge/internal/upstream"
)

// signInEvent is the callback's outcome event, filled in as the callback runs and logged once
// when it returns, whichever way it ends. It holds no personal data: ids of the relying party,
// ID.me policy and community names, codes, durations.
type signInEvent struct {
	start       time.Time
	clientID    string
	policies    string
	outcome     string
	communities string
	errCode     string
	idmeStatus  int
	state       time.Duration // the state ledger's conditional create
	timing      upstream.Timing
}

// fail records a failure answered with the OAuth error code.
func (e *signInEvent) fail(result, code string) { e.outcome, e.errCode = result, safeCode(code) }

// failUpstream records a failure of the ID.me leg.
func (e *signInEvent) failUpstream(ue *upstream.Error) {
	result := outcome.IDmeError
	switch ue.Kind {
	case upstream.KindDeclined:
		result = outcome.DeclinedAtIDme
	case upstream.KindTimeout:
		result = outcome.IDmeTimeout
	case upstream.KindBridge:
		result = outcome.ServerError
	}
	e.fail(result, ue.Code)
	e.idmeStatus, e.timing = ue.Status, ue.Timing
}

// failTranslate records an identity the bridge could not turn into claims: ID.me's fault when
// it named no user, the bridge's otherwise.
func (e *signInEvent) failTranslate(err error) {
	if errors.Is(err, claims.ErrNoSubject) {
		e.fail(outcome.IDmeError, "server_error")
		return
	}
	e.fail(outcome.ServerError, "server_error")
}

// succeed records a code issued for id: verified when ID.me verified at least one asked
// community (an identity policy is reported as a group too).
func (e *signInEvent) succeed(id upstream.Identity) {
	e.outcome, e.errCode, e.timing = outcome.NotVerified, "", id.Timing
	var b strings.Builder
	for _, g := range id.Groups {
		if !g.Verified {
			continue
		}
		e.outcome = outcome.Verified
		if e.communities == "" { // the usual single community costs no allocation
			e.communities = g.Name
			continue
		}
		if b.Len() == 0 {
			b.WriteString(e.communities)
		}
		b.WriteByte(' ')
		b.WriteString(g.Name)
	}
	if b.Len() > 0 {
		e.communities = b.String()
	}
}

func (p *Provider) logSignIn(ctx context.Context, e *signInEvent) {
	outcome.Log(ctx, p.log, outcome.SignIn,
		slog.String(outcome.FieldClientID, e.clientID),
		slog.String(outcome.FieldPolicies, e.policies),
		slog.String(outcome.FieldOutcome, e.outcome),
		slog.String(outcome.FieldCommunities, e.communities),
		slog.Int(outcome.FieldIDmeStatus, e.idmeStatus),
		slog.String(outcome.FieldError, e.errCode),
		outcome.Ms(outcome.FieldDuration, time.Since(e.start)),
		outcome.Ms(outcome.FieldStateMs, e.state),
		outcome.Ms(outcome.FieldIDmeTokenMs, e.timing.Token),
		outcome.Ms(outcome.FieldAttributesMs, e.timing.Attributes),
	)
}

// tokenEvent is the token endpoint's outcome event, logged once per request.
type tokenEvent struct {
	start    time.Time
	clientID string // only once the client is known to be registered
	outcome  string // set where the OAuth error code alone does not say (storage)
	errCode  string
	burn     time.Duration // the code's conditional create
	signing  time.Duration // sealing the access token and signing the id_token
}

// tokenOutcome is the outcome a token error code stands for.
func tokenOutcome(code string) string {
	switch code {
	case "invalid_grant":
		return outcome.InvalidGrant
	case "invalid_client":
		return outcome.InvalidClient
	case "invalid_request", "unsupported_grant_type":
		return outcome.InvalidRequest
	}
	return outcome.ServerError
}

func (p *Provider) logToken(ctx context.Context, e *tokenEvent) {
	outcome.Log(ctx, p.log, outcome.Token,
		slog.String(outcome.FieldClientID, e.clientID),
		slog.String(outcome.FieldOutcome, e.outcome),
		slog.String(outcome.FieldError, e.errCode),
		outcome.Ms(outcome.FieldDuration, time.Since(e.start)),
		outcome.Ms(outcome.FieldCodeBurnMs, e.burn),
		outcome.Ms(outcome.FieldSigningMs, e.signing),
	)
}
