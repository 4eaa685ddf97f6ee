// Package authext serves the Entra External ID custom authentication extension that puts the
// ID.me verification into External ID's tokens: the OnTokenIssuanceStart event of a custom
// claims provider. External ID passes a federated provider's standard claims only, so the
// verification travels this way instead.
//
// The event names the External ID user, not the ID.me identity. The extension reads the
// user's federated identity through Microsoft Graph (its issuerAssignedId is the bridge's
// subject, the ID.me uuid), then the latest verification record the bridge kept for that
// subject, and returns its groups as claims. Whatever is missing or slow, it answers in time
// with no claims and logs why: the sign-in goes on, without the verification.
package authext

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	"idmebridge/internal/config"
	"idmebridge/internal/entrauser"
	"idmebridge/internal/outcome"
	"idmebridge/internal/verification"
)

// Path is where the bridge serves the extension (its target URL in External ID).
const Path = "/externalid/token-issuance-start"

// Users finds the ID.me subject of an External ID user (package entrauser).
type Users interface {
	FederatedSubject(ctx context.Context, userID string) (string, error)
}

// Records finds a subject's latest verification (package verification).
type Records interface {
	Latest(ctx context.Context, subject string) (*verification.Record, error)
}

// How long answers are remembered. A user's federated identity never changes; a new
// verification should show within half a minute; a user who did not come through the bridge
// stays so for a while.
const (
	subjectTTL    = time.Hour
	noSubjectTTL  = 10 * time.Minute
	recordTTL     = 30 * time.Second
	cacheEntries  = 10000
	outboundLimit = 5 * time.Second // discovery and key fetches, outside any request budget
	// recordRetryPause is how long a missing record is waited for, once.
	recordRetryPause = 150 * time.Millisecond
)

// Options configure an Extension.
type Options struct {
	Config  config.ExternalID
	Users   Users
	Records Records
	// HTTPClient fetches the tenant's discovery document and keys; nil: a client with a
	// 5 s timeout.
	HTTPClient *http.Client
	Logger     *slog.Logger
	Now        func() time.Time
}

// Extension is the HTTP handler of the token issuance start event.
type Extension struct {
	cfg      config.ExternalID
	auth     *authenticator
	users    Users
	records  Records
	subjects *cache[string]
	latest   *cache[*verification.Record]
	log      *slog.Logger
	now      func() time.Time
}

// New returns the extension.
func New(o Options) (*Extension, error) {
	if !o.Config.Enabled || o.Users == nil || o.Records == nil {
		return nil, errors.New("authext: an enabled configuration, Users and Records are required")
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: outboundLimit}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Extension{
		cfg: o.Config, auth: newAuthenticator(o.Config, o.HTTPClient, o.Now),
		users: o.Users, records: o.Records,
		subjects: newCache[string](cacheEntries, o.Now), latest: newCache[*verification.Record](cacheEntries, o.Now),
		log: o.Logger.With("component", "externalid-extension"), now: o.Now,
	}, nil
}

// Warm reads the tenant's discovery document and keys ahead of the first call, retrying until it
// succeeds or ctx is done, so the first sign-in does not pay for it.
func (e *Extension) Warm(ctx context.Context) {
	for delay := time.Second; ; delay = min(2*delay, time.Minute) {
		cctx, cancel := context.WithTimeout(ctx, outboundLimit)
		_, err := e.auth.keys(cctx)
		if err == nil {
			err = e.auth.prefetch(cctx)
		}
		cancel()
		if err == nil || ctx.Err() != nil {
			return
		}
		e.log.Warn("External ID tenant discovery failed; retrying", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
	}
}

// ServeHTTP answers one token issuance start call.
func (e *Extension) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "method_not_allowed"})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), e.cfg.Budget)
	defer cancel()
	if err := e.auth.authenticate(ctx, r); err != nil {
		if !errors.Is(err, errUnauthenticated) {
			// The caller cannot be checked, so it learns nothing: no claims. An error status
			// would instead fail the sign-in of every user of the application.
			e.logCall(ctx, slog.LevelError, answer{outcome: outcome.Failed, reason: "the tenant's keys are unavailable: " + failure(err)}, start)
			writeJSON(w, http.StatusOK, newResponse(nil))
			return
		}
		e.logCall(ctx, slog.LevelWarn, answer{outcome: outcome.Refused, reason: err.Error()}, start)
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token"})
		return
	}
	ev, problem := readEvent(r)
	if problem != "" {
		e.logCall(ctx, slog.LevelWarn, answer{outcome: outcome.Failed, reason: "the call is not understood: " + problem}, start)
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": problem})
		return
	}
	a := e.claimsFor(ctx, ev)
	a.clientID = ev.Data.AuthenticationContext.ClientServicePrincipal.AppID
	a.correlation = ev.Data.AuthenticationContext.CorrelationID
	level := slog.LevelInfo
	if a.outcome == outcome.Failed {
		level = slog.LevelError
	}
	e.logCall(ctx, level, a, start)
	writeJSON(w, http.StatusOK, newResponse(a.claims))
}

// answer is what one call answered, for its outcome event.
type answer struct {
	claims      map[string]any
	outcome     string
	reason      string // why there are no claims
	clientID    string // the application the token is for
	correlation string // External ID's id of the sign-in, to find it in the tenant's logs
}

// logCall writes the call's one line: its outcome event. A failure keeps the level of a failure.
func (e *Extension) logCall(ctx context.Context, level slog.Level, a answer, start time.Time) {
	outcome.LogAt(ctx, e.log, level, outcome.Extension,
		slog.String(outcome.FieldOutcome, a.outcome),
		slog.String(outcome.FieldReason, a.reason),
		slog.Int(outcome.FieldClaims, len(a.claims)),
		slog.String(outcome.FieldClientID, a.clientID),
		outcome.Ms(outcome.FieldDuration, time.Since(start)),
		slog.String(outcome.FieldCorrelationID, a.correlation),
	)
}

// readEvent decodes and checks the request body.
func readEvent(r *http.Request) (*event, string) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return nil, "the body must be application/json"
	}
	var ev event
	if err := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxEventBytes)).Decode(&ev); err != nil {
		return nil, "the body is not a JSON event"
	}
	if ev.Type != eventTokenIssuanceStart || ev.Data.ODataType != dataTokenIssuanceStart {
		return nil, "not a token issuance start event"
	}
	return &ev, ""
}

// claimsFor finds the user's latest verification; without claims, the answer's reason says why.
func (e *Extension) claimsFor(ctx context.Context, ev *event) answer {
	if ev.Data.TenantID != "" && !strings.EqualFold(ev.Data.TenantID, e.cfg.TenantID) {
		return answer{outcome: outcome.Failed, reason: "the event names another tenant"}
	}
	userID := ev.Data.AuthenticationContext.User.ID
	if userID == "" {
		return answer{outcome: outcome.Failed, reason: "the event names no user"}
	}
	subject, err := e.subject(ctx, userID)
	if errors.Is(err, entrauser.ErrNoFederatedIdentity) {
		return answer{outcome: outcome.NotIDme, reason: "no ID.me subject for the user: " + failure(err)}
	}
	if err != nil {
		return answer{outcome: outcome.Failed, reason: "no ID.me subject for the user: " + failure(err)}
	}
	rec, err := e.record(ctx, subject)
	if errors.Is(err, verification.ErrNoRecord) {
		return answer{outcome: outcome.NoRecord, reason: "no verification record for the user"}
	}
	if err != nil {
		return answer{outcome: outcome.Failed, reason: "verification record unavailable: " + failure(err)}
	}
	claims, dropped := claimsFor(rec)
	if len(dropped) > 0 {
		e.log.Warn("claims left out to stay within External ID's 3 KB limit", "claims", dropped)
	}
	return answer{claims: claims, outcome: outcome.WithClaims}
}

func (e *Extension) subject(ctx context.Context, userID string) (string, error) {
	if s, err, ok := e.subjects.get(userID); ok {
		return s, err
	}
	s, err := e.users.FederatedSubject(ctx, userID)
	switch {
	case err == nil:
		e.subjects.put(userID, s, nil, subjectTTL)
	case errors.Is(err, entrauser.ErrNoFederatedIdentity):
		// Not a bridge user (a local account, another provider). An unknown user is not
		// remembered: Graph may not show a user created a moment ago yet.
		e.subjects.put(userID, "", err, noSubjectTTL)
	}
	return s, err
}

func (e *Extension) record(ctx context.Context, subject string) (*verification.Record, error) {
	if rec, err, ok := e.latest.get(subject); ok {
		return rec, err
	}
	rec, err := e.records.Latest(ctx, subject)
	if errors.Is(err, verification.ErrNoRecord) && e.hasTime(ctx, 2*recordRetryPause) {
		// The record of a sign-up that just happened is written in the background and may
		// trail External ID's first token by a moment: look once more.
		select {
		case <-time.After(recordRetryPause):
			rec, err = e.records.Latest(ctx, subject)
		case <-ctx.Done():
		}
	}
	if err == nil {
		e.latest.put(subject, rec, nil, recordTTL)
	}
	return rec, err
}

// hasTime reports whether ctx leaves at least d.
func (e *Extension) hasTime(ctx context.Context, d time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return !ok || time.Until(deadline) > d
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
