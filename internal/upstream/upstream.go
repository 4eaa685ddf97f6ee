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
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Code + ": " + e.Description + ": " + e.Err.Error()
	}
	return e.Code + ": " + e.Description
}

func (e *Error) Unwrap() error { return e.Err }

// AsError returns err's *Error, or a server_error wrapping it.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: "server_error", Description: "the sign-in with the identity provider failed", Err: err}
}
