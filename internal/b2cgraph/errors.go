package b2cgraph

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// ErrNotFound is matched (errors.Is) by an *Error for a 404 answer.
var ErrNotFound = errors.New("graph: not found")

// Error is a refusal from Graph, with what the operator can do about it.
type Error struct {
	Op        string // what was being done, e.g. "upload policy B2C_1A_X"
	Status    int
	Code      string // Graph's error code, e.g. "AADB2C" or "Authorization_RequestDenied"
	Message   string // Graph's message (B2C's validation errors for a policy upload)
	RequestID string // for a support case with Microsoft
	// Permission is the Graph permission the call needs, when the caller said; a 403 names it.
	Permission string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "graph: %s: HTTP %d", e.Op, e.Status)
	if e.Code != "" {
		fmt.Fprintf(&b, " %s", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if hint := e.hint(); hint != "" {
		fmt.Fprintf(&b, " (%s)", hint)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " [request-id %s]", e.RequestID)
	}
	return b.String()
}

// Is lets errors.Is(err, ErrNotFound) test for a missing policy or key set.
func (e *Error) Is(target error) bool {
	return target == ErrNotFound && e.Status == http.StatusNotFound
}

func (e *Error) hint() string {
	switch e.Status {
	case http.StatusUnauthorized:
		return "the token was refused: sign in to the B2C tenant itself, e.g. az login --tenant <tenant>.onmicrosoft.com --allow-no-subscriptions"
	case http.StatusForbidden:
		if e.Permission != "" {
			return "the signed-in identity lacks the Graph permission " + e.Permission + ": grant it with admin consent, in the B2C tenant (a signed-in administrator needs a role that allows it)"
		}
		return "the signed-in identity lacks the Graph permission: grant Policy.ReadWrite.TrustFramework (policies) and TrustFrameworkKeySet.ReadWrite.All (policy keys) with admin consent, in the B2C tenant"
	case http.StatusTooManyRequests:
		return "Graph is throttling: wait a minute and run the command again"
	}
	return ""
}

// graphErrorBody is Graph's error document: {"error":{"code":..,"message":..,"innerError":{..}}}.
type graphErrorBody struct {
	Error struct {
		Code       string `json:"code"`
		Message    string `json:"message"`
		InnerError struct {
			RequestID string `json:"request-id"`
		} `json:"innerError"`
	} `json:"error"`
}

// maxMessage keeps one refusal readable; B2C's validation messages are a sentence or two.
const maxMessage = 2000

func newError(op string, resp *http.Response, body []byte) *Error {
	e := &Error{Op: op, Status: resp.StatusCode, RequestID: resp.Header.Get("request-id")}
	var doc graphErrorBody
	if json.Unmarshal(body, &doc) == nil && (doc.Error.Code != "" || doc.Error.Message != "") {
		e.Code, e.Message = doc.Error.Code, doc.Error.Message
		if doc.Error.InnerError.RequestID != "" {
			e.RequestID = doc.Error.InnerError.RequestID
		}
	} else if resp.StatusCode != http.StatusNotFound {
		// Not Graph's document (a proxy's page): say what came back, briefly.
		e.Message = strings.TrimSpace(string(body))
	}
	e.Message = strings.Join(strings.Fields(e.Message), " ")
	if len(e.Message) > maxMessage {
		e.Message = e.Message[:maxMessage] + "..."
	}
	return e
}
