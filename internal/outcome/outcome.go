// Package outcome names the events the bridge logs so that an administrator can count sign-ins
// and see where they fail: one JSON log line per sign-in stage, per External ID extension call
// and per B2C API connector call, and a line when readiness changes or a secret refresh fails.
// Application Insights files each line as a trace (the Functions host forwards the handler's
// stdout); the workbook and alerts in infra/ query these names and no others, and a test holds
// the two together. No event carries personal data or a secret.
package outcome

// Message is the msg of every event line: queries find events by it.
const Message = "outcome"

// Events, the value of FieldEvent.
const (
	// SignInStarted: /authorize accepted a request and sent the browser to ID.me.
	SignInStarted = "signin_started"
	// SignIn: the callback handled ID.me's answer (or could not): the sign-in's outcome.
	SignIn = "signin"
	// Token: the token endpoint redeemed (or refused) a code: tokens issued or not.
	Token = "token"
	// Extension: one call of the External ID custom authentication extension.
	Extension = "externalid_extension"
	// Connector: one call of the B2C user-flow API connector.
	Connector = "api_connector"
	// Readiness: the bridge became ready, or stopped being ready.
	Readiness = "readiness"
	// SecretRefresh: a refresh of the secrets failed (the cached values are still served).
	SecretRefresh = "secret_refresh"
)

// Fields of the event lines. Durations are whole milliseconds.
const (
	FieldEvent    = "event"
	FieldClientID = "client_id"
	// FieldPolicies are the ID.me policies (scopes) asked for, space separated.
	FieldPolicies = "idme_policies"
	FieldOutcome  = "outcome"
	// FieldCommunities are the communities ID.me verified, space separated ("" for none).
	FieldCommunities = "communities"
	// FieldIDmeStatus is ID.me's HTTP status when an ID.me call answered with an error or an
	// answer the bridge could not use (0: no HTTP answer, such as an error on the redirect or
	// a timeout, or a failure on the bridge's side).
	FieldIDmeStatus = "idme_status"
	// FieldError is the OAuth error code answered, when the outcome is a failure.
	FieldError = "error"
	// FieldReason says, in words, why an extension or connector call answered without claims.
	FieldReason = "reason"
	// FieldClaims is how many verification claims an extension or connector call answered.
	FieldClaims = "claims"
	// FieldCorrelationID is External ID's id of the sign-in an extension call is part of, to
	// find it in the tenant's sign-in logs.
	FieldCorrelationID = "correlation_id"
	FieldDuration      = "duration_ms"
	// Stages of a sign-in, each where it happens: the state ledger at the callback, ID.me's
	// token exchange, the attributes call, then at /token burning the code and signing.
	FieldStateMs      = "state_ms"
	FieldIDmeTokenMs  = "idme_token_ms"
	FieldAttributesMs = "attributes_ms"
	FieldCodeBurnMs   = "code_burn_ms"
	FieldSigningMs    = "signing_ms"
	// FieldReady is the readiness after a Readiness event.
	FieldReady = "ready"
	// FieldSecret names the secret (its name, never its value) of a SecretRefresh event.
	FieldSecret = "secret"
)

// Outcomes, the value of FieldOutcome: a closed list per event.
const (
	// SignIn outcomes.
	Verified       = "verified"         // ID.me verified at least one asked community (or identity)
	NotVerified    = "not_verified"     // signed in at ID.me, nothing asked was verified
	DeclinedAtIDme = "declined_at_idme" // access_denied from ID.me: the user cancelled or could not verify
	IDmeError      = "idme_error"       // ID.me answered with an error or an unusable answer
	IDmeTimeout    = "idme_timeout"     // ID.me did not answer in time
	StorageError   = "storage_error"    // the state ledger or code store could not be used
	InvalidRequest = "invalid_request"  // a request the bridge refuses (bad or replayed state, no cookie...)
	ServerError    = "server_error"     // anything else on the bridge's side

	// Token outcomes (besides StorageError, InvalidRequest, ServerError).
	Issued        = "issued"
	InvalidGrant  = "invalid_grant"
	InvalidClient = "invalid_client"

	// Extension and Connector outcomes.
	WithClaims = "claims"      // the verification was answered
	NotIDme    = "not_idme"    // the user has no ID.me identity: nothing to answer
	NoRecord   = "no_record"   // an ID.me user without a verification record (for this client)
	Failed     = "failed"      // answered without claims because something failed (FieldReason says what)
	Refused    = "refused"     // the caller was not authenticated
	FailClosed = "fail_closed" // a connector client that fails closed was answered an error

	// Readiness outcomes.
	Ready    = "ready"
	NotReady = "not_ready"

	// SecretRefresh outcome.
	RefreshFailed = "refresh_failed"
)

// Outcomes lists, per event, every outcome it may carry: the closed lists the workbook and the
// alerts may rely on.
func Outcomes() map[string][]string {
	return map[string][]string{
		SignInStarted: {},
		SignIn:        {Verified, NotVerified, DeclinedAtIDme, IDmeError, IDmeTimeout, StorageError, InvalidRequest, ServerError},
		Token:         {Issued, InvalidGrant, InvalidClient, InvalidRequest, StorageError, ServerError},
		Extension:     {WithClaims, NotIDme, NoRecord, Failed, Refused},
		Connector:     {WithClaims, NotIDme, NoRecord, Failed, Refused, FailClosed},
		Readiness:     {Ready, NotReady},
		SecretRefresh: {RefreshFailed},
	}
}

// Fields lists every field an event line may carry, for the test that holds the queries to
// them.
func Fields() []string {
	return []string{FieldEvent, FieldClientID, FieldPolicies, FieldOutcome, FieldCommunities, FieldIDmeStatus,
		FieldError, FieldReason, FieldClaims, FieldCorrelationID, FieldDuration, FieldStateMs, FieldIDmeTokenMs, FieldAttributesMs,
		FieldCodeBurnMs, FieldSigningMs, FieldReady, FieldSecret}
}
