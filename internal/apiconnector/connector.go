// Package apiconnector serves the endpoint a B2C user flow's API connector calls at the
// "Before sending the token (preview)" step, so that user-flow tokens carry the ID.me
// verification. A user flow's OpenID Connect provider maps five claims only (user id, display
// name, given name, surname, email); every other claim reaches its token through this step.
//
// B2C posts the user's attributes, among them identities. The identity B2C keeps for the
// bridge carries the bridge's subject (the ID.me uuid) as issuerAssignedId; the connector
// reads the newest verification record written for the calling client and returns it as
// custom attributes. Whatever is missing or slow, it answers Continue in time without the
// verification (unless the client asked to fail closed): a tenant's sign-ins that have nothing
// to do with ID.me must never fail because of the bridge.
//
// Sources: Learn add-api-connector-token-enrichment (user flow pivot) and add-api-connector
// ("Before sending the token (preview)"), api-connectors-overview.
package apiconnector

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"idmebridge/internal/config"
	"idmebridge/internal/outcome"
	"idmebridge/internal/verification"
)

// Path is where the bridge serves the connector (its Endpoint URL in B2C).
const Path = "/b2c/api-connector/token-enrichment"

// Secrets reads secret values by name (package secrets).
type Secrets interface {
	Get(ctx context.Context, name string) (string, error)
}

// Records finds the newest verification of a subject written for a client (package
// verification).
type Records interface {
	LatestFor(ctx context.Context, subject, clientID string) (*verification.Record, error)
}

// recordRetryPause is how long a missing record is waited for, once: the record of a sign-up
// is written in the background and may trail B2C's call by a moment.
const recordRetryPause = 150 * time.Millisecond

// freshRecord is how old the newest record may be and still be taken as this sign-in's. B2C
// calls the connector a moment after the bridge answered; an older record may be an earlier
// sign-in's while this one's is still being written, so it is looked for once more. (A sign-in
// B2C's own session satisfied, with no visit to the bridge, pays for that second look.)
const freshRecord = 30 * time.Second

// Options configure a Connector.
type Options struct {
	Config config.APIConnector
	// Clients are the bridge's clients; those with api_connector_secret_name may call.
	Clients []config.Client
	Secrets Secrets
	Records Records
	Logger  *slog.Logger
	// Now is the clock records are judged fresh by; nil: time.Now.
	Now func() time.Time
}

// Connector is the HTTP handler of the API connector.
type Connector struct {
	cfg     config.APIConnector
	clients map[string]config.Client
	secrets Secrets
	records Records
	log     *slog.Logger
	now     func() time.Time
}

// New returns the connector.
func New(o Options) (*Connector, error) {
	if !o.Config.Enabled || o.Secrets == nil || o.Records == nil {
		return nil, errors.New("apiconnector: an enabled configuration, Secrets and Records are required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	clients := map[string]config.Client{}
	for _, c := range o.Clients {
		if len(c.APIConnectorSecretNames()) > 0 {
			clients[c.ID] = c
		}
	}
	if len(clients) == 0 {
		return nil, errors.New("apiconnector: no client has api_connector_secret_name")
	}
	return &Connector{cfg: o.Config, clients: clients, secrets: o.Secrets, records: o.Records,
		log: o.Logger.With("component", "b2c-api-connector"), now: o.Now}, nil
}

// ServeHTTP answers one call of B2C's API connector.
func (c *Connector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "method_not_allowed"})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), c.cfg.Budget)
	defer cancel()
	client, err := c.authenticate(ctx, r)
	if errors.Is(err, errUnauthenticated) {
		c.logCall(ctx, slog.LevelWarn, answered{outcome: outcome.Refused, reason: err.Error()}, start)
		w.Header().Set("WWW-Authenticate", `Basic realm="idme-bridge"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "unauthorized"})
		return
	}
	if err != nil {
		// The caller cannot be checked, so it learns nothing.
		c.answerFailure(ctx, w, client, "the connector's password is unavailable: "+err.Error(), start)
		return
	}
	// The body is read within the budget too: a sender that trickles it cannot hold the answer.
	if deadline, ok := ctx.Deadline(); ok {
		_ = http.NewResponseController(w).SetReadDeadline(deadline) // unsupported in tests' recorders
	}
	req, problem := readRequest(r)
	if problem != "" {
		if client.APIConnectorFailClosed {
			c.logCall(ctx, slog.LevelWarn, answered{clientID: client.ID, outcome: outcome.FailClosed, reason: "the call is not understood: " + problem}, start)
			writeJSON(w, http.StatusBadRequest, failure(http.StatusBadRequest, "the request could not be read"))
			return
		}
		c.logCall(ctx, slog.LevelWarn, answered{clientID: client.ID, outcome: outcome.Failed, reason: "the call is not understood: " + problem}, start)
		writeJSON(w, http.StatusOK, continueWith(nil))
		return
	}
	if !tokenStep(req.Step) {
		// Claims returned at a sign-up step would be written to the user; this endpoint
		// belongs on "Before sending the token" only.
		c.logCall(ctx, slog.LevelWarn, answered{clientID: client.ID, outcome: outcome.Failed,
			reason: "called at another step (" + quoted(req.Step) + "): attach it to \"Before sending the token (preview)\""}, start)
		writeJSON(w, http.StatusOK, continueWith(nil))
		return
	}
	subject, seen := findSubject(req.Identities, c.cfg.Issuers)
	if subject == "" {
		// The identities' kinds and issuers (never their ids) tell a user of another provider
		// from a bridge whose issuer differs from the one B2C recorded.
		c.logCall(ctx, slog.LevelInfo, answered{clientID: client.ID, outcome: outcome.NotIDme,
			reason: "no identity issued by the bridge; the user's: " + strings.Join(seen, " ")}, start)
		writeJSON(w, http.StatusOK, continueWith(nil))
		return
	}
	rec, err := c.record(ctx, subject, client.ID)
	switch {
	case errors.Is(err, verification.ErrNoRecord):
		c.logCall(ctx, slog.LevelInfo, answered{clientID: client.ID, outcome: outcome.NoRecord, reason: "no verification record for this client"}, start)
		writeJSON(w, http.StatusOK, continueWith(nil))
		return
	case err != nil:
		c.answerFailure(ctx, w, client, "verification record unavailable: "+err.Error(), start)
		return
	}
	if problem := checkRecord(rec, subject, client.ID); problem != "" {
		c.answerFailure(ctx, w, client, "verification record not usable: "+problem, start)
		return
	}
	claims, cut := claimsFor(rec, client, c.cfg.ClaimPrefix)
	if len(cut) > 0 {
		c.log.Warn("B2C API connector: items left out to stay within B2C's 250 characters per attribute", "client_id", client.ID, "cut", cut)
	}
	c.logCall(ctx, slog.LevelInfo, answered{clientID: client.ID, outcome: outcome.WithClaims, claims: len(claims)}, start)
	writeJSON(w, http.StatusOK, continueWith(claims))
}

// call is what one call answered, for its outcome event.
type answered struct {
	clientID string
	outcome  string
	reason   string // why there are no claims
	claims   int
}

// logCall writes the call's one line: its outcome event. A failure keeps the level of a failure.
func (c *Connector) logCall(ctx context.Context, level slog.Level, a answered, start time.Time) {
	outcome.LogAt(ctx, c.log, level, outcome.Connector,
		slog.String(outcome.FieldOutcome, a.outcome),
		slog.String(outcome.FieldReason, a.reason),
		slog.Int(outcome.FieldClaims, a.claims),
		slog.String(outcome.FieldClientID, a.clientID),
		outcome.Ms(outcome.FieldDuration, time.Since(start)),
	)
}

// answerFailure answers when the bridge could not find out: Continue without the verification,
// or, for a client that fails closed, an error.
func (c *Connector) answerFailure(ctx context.Context, w http.ResponseWriter, client config.Client, reason string, start time.Time) {
	if client.APIConnectorFailClosed {
		c.logCall(ctx, slog.LevelError, answered{clientID: client.ID, outcome: outcome.FailClosed, reason: reason}, start)
		// Only a continuation response is documented at this step (Learn: add-api-connector,
		// "Before sending the token (preview)": "it can return these responses: Continuation
		// response"); what B2C shows for anything else is not documented.
		writeJSON(w, http.StatusInternalServerError, failure(http.StatusInternalServerError, "ID.me verification is unavailable; try again later"))
		return
	}
	c.logCall(ctx, slog.LevelError, answered{clientID: client.ID, outcome: outcome.Failed, reason: reason}, start)
	writeJSON(w, http.StatusOK, continueWith(nil))
}

// record reads the newest record within ctx, looking once more after a pause when there is
// none yet or the newest is not fresh (freshRecord). It returns when ctx ends even if storage
// does not.
func (c *Connector) record(ctx context.Context, subject, clientID string) (*verification.Record, error) {
	read := func() (*verification.Record, error) { return c.records.LatestFor(ctx, subject, clientID) }
	rec, err := within(ctx, read)
	stale := err == nil && rec != nil && c.now().Sub(rec.VerifiedAt) > freshRecord
	if (errors.Is(err, verification.ErrNoRecord) || stale) && hasTime(ctx, 2*recordRetryPause) {
		select {
		case <-time.After(recordRetryPause):
			again, againErr := within(ctx, read)
			switch {
			case againErr == nil && again != nil && (rec == nil || again.VerifiedAt.After(rec.VerifiedAt)):
				rec, err = again, nil
			case !stale:
				rec, err = again, againErr
			}
		case <-ctx.Done():
		}
	}
	return rec, err
}

// within runs f but gives up when ctx ends, so a store that ignores its context cannot hold
// the answer past the budget.
func within[T any](ctx context.Context, f func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := f()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// hasTime reports whether ctx leaves at least d.
func hasTime(ctx context.Context, d time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return !ok || time.Until(deadline) > d
}

// continueWith is a continuation response: {"version":"1.0.0","action":"Continue", claims...}
// (Learn: add-api-connector-token-enrichment, "Example of a continuation response").
func continueWith(claims map[string]any) map[string]any {
	out := make(map[string]any, len(claims)+2)
	for k, v := range claims {
		out[k] = v
	}
	out["version"] = "1.0.0"
	out["action"] = "Continue"
	return out
}

// failure is the body of a refusal, shaped like B2C's documented error responses (version,
// status, userMessage) in case B2C shows userMessage.
func failure(status int, message string) map[string]any {
	return map[string]any{"version": "1.0.0", "status": status, "userMessage": message}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
