package idme

import (
	"errors"
	"fmt"
)

// Error is an OAuth error that ID.me returned, on the authorize redirect or from the token endpoint.
type Error struct {
	Code        string // e.g. access_denied, invalid_grant
	Description string
	Status      int // HTTP status, 0 on a redirect
}

func (e *Error) Error() string {
	if e.Description != "" {
		return fmt.Sprintf("ID.me returned %s: %s", e.Code, e.Description)
	}
	return "ID.me returned " + e.Code
}

// ErrUnavailable marks failures to reach ID.me or to understand its answer: network errors,
// timeouts, 5xx, malformed bodies.
var ErrUnavailable = errors.New("ID.me is unavailable")

// StatusError is an ID.me answer the bridge could not use (a 5xx, or a body it cannot read),
// with its HTTP status. It is ErrUnavailable.
type StatusError struct{ Status int }

func (e *StatusError) Error() string { return fmt.Sprintf("HTTP %d: %v", e.Status, ErrUnavailable) }
func (e *StatusError) Unwrap() error { return ErrUnavailable }

// errClientSecret marks a failure to read the bridge's own ID.me client secret.
var errClientSecret = errors.New("ID.me client secret")

// ErrInvalidToken marks an id_token from ID.me that failed verification.
var ErrInvalidToken = errors.New("ID.me id_token is invalid")

// ForRelyingParty maps an error from any step of the ID.me leg to the OAuth error code the
// bridge sends back to B2C on its redirect (RFC 6749 section 4.1.2.1), and a description that
// helps an administrator without exposing secrets.
func ForRelyingParty(err error) (code, description string) {
	var e *Error
	switch {
	case errors.As(err, &e):
		switch e.Code {
		case "access_denied":
			return "access_denied", "the user did not complete ID.me verification or declined to share"
		case "invalid_scope":
			return "invalid_scope", "ID.me refused the requested policy (scope): enable it for the ID.me application"
		case "temporarily_unavailable", "server_error":
			return "temporarily_unavailable", "ID.me is temporarily unavailable"
		case "login_required", "interaction_required":
			// ID.me could not re-authenticate the user as prompt=login or max_age asked: the
			// relying party is owed the OIDC error it can act on (OIDC Core 3.1.2.6).
			return e.Code, "ID.me could not confirm a fresh sign-in"
		case "invalid_grant":
			return "access_denied", "ID.me did not accept the authorization code (expired or already used); sign in again"
		default:
			// ID.me's own code stays in the bridge's log: the relying party sees fixed text.
			return "server_error", "ID.me rejected the bridge's request: check the ID.me client id, secret and redirect URI"
		}
	case errors.Is(err, ErrInvalidToken):
		return "server_error", "ID.me's id_token failed verification"
	case errors.Is(err, ErrUnavailable):
		return "temporarily_unavailable", "ID.me could not be reached; try again"
	default:
		return "server_error", "the sign-in with ID.me failed"
	}
}
