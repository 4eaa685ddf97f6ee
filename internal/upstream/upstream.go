// Package upstream is the contract between the bridge's OpenID provider and the identity
// provider it federates to (ID.me): build the login URL carrying opaque data, and finish the
// callback into an identity. The provider knows nothing else about the upstream, so it can be
// tested with a fake one.
package upstream

import (
	"context"
	"errors"
	"net/url"
	"time"
)

// LoginRequest is what the provider asks of the upstream for one sign-in.
type LoginRequest struct {
	// Scopes are the upstream policies to request (openid is added by the connector).
	Scopes []string
	// Prompt is "login" to ask for a fresh authentication, or empty.
	Prompt string
	// MaxAge is the relying party's max_age in seconds, nil when it sent none.
	MaxAge *int
}

// Identity is a user as the upstream vouched for them.
type Identity struct {
	// Subject is the upstream's verified user id (the id_token sub).
	Subject string
	// Attributes are the upstream's attributes by handle (fname, email, uuid...).
	Attributes map[string]string
	// Groups are the communities and whether the user was verified as a member.
	Groups []Group
	// AuthTime is when the user authenticated at the upstream, zero when it did not say.
	AuthTime time.Time
	// Timing is how long the upstream's calls took, for the sign-in's outcome event.
	Timing Timing
}

// Timing is how long each call to the upstream took during one callback; zero for a call not
// made.
type Timing struct {
	Token      time.Duration // the code exchange (token endpoint)
	Attributes time.Duration // the data call (attributes)
}

// Group is one community verification.
type Group struct {
	Name      string
	Subgroups []string
	Verified  bool
}

// Connector is an upstream identity provider. Its methods are safe for concurrent use.
type Connector interface {
	// Begin returns the data one sign-in must carry to HandleCallback (nonces, verifiers):
	// opaque to the provider, which seals it into its state.
	Begin(r LoginRequest) (data []byte, err error)
	// LoginURL returns where to send the browser for the sign-in Begin prepared; state is the
	// provider's sealed state, which the upstream returns unchanged.
	LoginURL(data []byte, state string) (string, error)
	// HandleCallback finishes the sign-in from the callback's query (code or error) and the
	// data LoginURL returned. It presents the code at most once.
	HandleCallback(ctx context.Context, data []byte, callback url.Values) (Identity, error)
	// LogoutURL returns the upstream's sign-out URL that comes back to returnTo.
	LogoutURL(returnTo string) string
}

// Error is a failure of the upstream leg, already expressed as the OAuth error the relying
// party receives (RFC 6749 section 4.1.2.1). Err is the cause, for logs.
type Error struct {
	Code        string
	Description string
	Err         error
	// Kind says on whose side the failure lies, for the sign-in's outcome event.
	Kind Kind
	// Status is the upstream's HTTP status when one of its calls answered with an error or an
	// answer the bridge could not use; 0 when there was no HTTP answer (the error came on the
	// redirect, or the call timed out or never connected) or the failure was the bridge's.
	Status int
	// Timing is how long the calls made before the failure took.
	Timing Timing
}

// Kind classifies a failure of the upstream leg.
type Kind uint8

const (
	// KindUpstream: the upstream answered with an error, or with an answer the bridge cannot
	// use (the zero value: what an upstream failure is unless it says otherwise).
	KindUpstream Kind = iota
	// KindDeclined: the user cancelled, or could not verify, at the upstream (access_denied on
	// the redirect).
	KindDeclined
	// KindTimeout: the upstream did not answer in time.
	KindTimeout
	// KindBridge: the bridge's own side failed (its sign-in data, its secrets).
	KindBridge
)

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Code + ": " + e.Description + ": " + e.Err.Error()
	}
	return e.Code + ": " + e.Description
}

func (e *Error) Unwrap() error { return e.Err }

// AsError returns err's *Error, or a server_error of the bridge's side wrapping it.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: "server_error", Description: "the sign-in with the identity provider failed", Err: err, Kind: KindBridge}
}
