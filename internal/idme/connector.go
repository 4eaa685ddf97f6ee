package idme

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"idmebridge/internal/upstream"
)

// The Client is the bridge's upstream connector.
var _ upstream.Connector = (*Client)(nil)

// loginData is what one sign-in must remember between LoginURL and HandleCallback. The
// provider carries it sealed; it never leaves the bridge in the clear.
type loginData struct {
	Nonce    string   `json:"n"`
	Verifier string   `json:"v"`
	Scopes   []string `json:"s"`
	Prompt   string   `json:"p,omitempty"`
	MaxAge   *int     `json:"m,omitempty"`
	Started  int64    `json:"t"`
}

// authTimeSkew tolerates clock differences between ID.me and the bridge when checking that a
// fresh authentication happened.
const authTimeSkew = time.Minute

// Begin prepares a sign-in: a fresh nonce and PKCE verifier, and what to check afterwards.
func (c *Client) Begin(r upstream.LoginRequest) ([]byte, error) {
	d := loginData{
		Nonce: randomToken(), Verifier: randomToken(), Scopes: append([]string{"openid"}, r.Scopes...),
		Prompt: r.Prompt, MaxAge: r.MaxAge, Started: c.now().Unix(),
	}
	data, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("ID.me login data: %w", err)
	}
	return data, nil
}

// LoginURL returns ID.me's authorize URL for the sign-in Begin prepared.
func (c *Client) LoginURL(data []byte, state string) (string, error) {
	var d loginData
	if err := json.Unmarshal(data, &d); err != nil {
		return "", fmt.Errorf("ID.me login data: %w", err)
	}
	sum := sha256.Sum256([]byte(d.Verifier))
	return c.AuthorizeURL(AuthorizeRequest{
		Scopes: d.Scopes, State: state, Nonce: d.Nonce,
		CodeChallenge: base64.RawURLEncoding.EncodeToString(sum[:]),
		Prompt:        d.Prompt, MaxAge: d.MaxAge,
	}), nil
}

// HandleCallback finishes a sign-in: it reads ID.me's error or code, redeems the code once,
// verifies the id_token, makes the one attributes.json call, and checks that the attributes
// describe the user the id_token names. It reports how long the two calls took, on the identity
// and on an error alike.
func (c *Client) HandleCallback(ctx context.Context, data []byte, q url.Values) (upstream.Identity, error) {
	var d loginData
	if err := json.Unmarshal(data, &d); err != nil || d.Nonce == "" || d.Verifier == "" {
		return upstream.Identity{}, &upstream.Error{Code: "server_error", Description: "the sign-in data is damaged", Err: errors.New("login data unreadable"), Kind: upstream.KindBridge}
	}
	if e := q.Get("error"); e != "" {
		return upstream.Identity{}, asUpstream(&Error{Code: errorCode(e)}, upstream.Timing{})
	}
	code := q.Get("code")
	if code == "" {
		return upstream.Identity{}, &upstream.Error{Code: "server_error", Description: "ID.me returned neither a code nor an error"}
	}
	var timing upstream.Timing
	began := time.Now()
	tokens, err := c.Exchange(ctx, code, d.Verifier, d.Scopes)
	timing.Token = time.Since(began)
	if err != nil {
		return upstream.Identity{}, asUpstream(err, timing)
	}
	if tokens.IDToken == "" {
		return upstream.Identity{}, asUpstream(fmt.Errorf("%w: ID.me returned no id_token", ErrInvalidToken), timing)
	}
	idt, err := c.VerifyIDToken(ctx, tokens.IDToken, d.Nonce)
	if err != nil {
		return upstream.Identity{}, asUpstream(err, timing)
	}
	if err := c.checkFresh(d, idt.AuthTime); err != nil {
		err.Timing = timing
		return upstream.Identity{}, err
	}
	began = time.Now()
	attrs, err := c.Attributes(ctx, tokens.AccessToken)
	timing.Attributes = time.Since(began)
	if err != nil {
		return upstream.Identity{}, asUpstream(err, timing)
	}
	id := upstream.Identity{Subject: idt.Subject, Attributes: map[string]string{}, AuthTime: idt.AuthTime, Timing: timing}
	for _, a := range attrs.Attributes {
		if !a.Null {
			id.Attributes[a.Handle] = a.Value
		}
	}
	// attributes.json is not signed; the id_token is. Both must name the same user, or the
	// bridge would vouch for one person with another's data.
	if uuid, ok := id.Attributes["uuid"]; ok && uuid != idt.Subject {
		return upstream.Identity{}, &upstream.Error{Code: "server_error", Description: "ID.me's attributes do not belong to the user its id_token names",
			Err: errors.New("attributes.json uuid differs from the id_token sub"), Timing: timing}
	}
	id.Attributes["uuid"] = idt.Subject
	// The signed id_token may vouch for the address instead of attributes.json; it counts only
	// for the address attributes.json gives (or when that gives none).
	if idt.EmailVerified && (id.Attributes["email"] == "" || strings.EqualFold(id.Attributes["email"], idt.Email)) {
		if id.Attributes["email"] == "" && idt.Email != "" {
			id.Attributes["email"] = idt.Email
		}
		id.Attributes["email_verified"] = "true"
	}
	for _, st := range attrs.Status {
		id.Groups = append(id.Groups, upstream.Group{Name: st.Group, Subgroups: st.Subgroups, Verified: st.Verified})
	}
	return id, nil
}

// checkFresh enforces prompt=login and max_age from ID.me's auth_time: asking ID.me is not
// proof it re-authenticated the user (OIDC Core 3.1.2.1).
func (c *Client) checkFresh(d loginData, authTime time.Time) *upstream.Error {
	if d.Prompt != "login" && d.MaxAge == nil {
		return nil
	}
	refuse := func(why string) *upstream.Error {
		return &upstream.Error{Code: "login_required", Description: "ID.me did not confirm a fresh sign-in", Err: errors.New(why)}
	}
	if authTime.IsZero() {
		return refuse("ID.me's id_token has no auth_time")
	}
	if d.Prompt == "login" && authTime.Before(time.Unix(d.Started, 0).Add(-authTimeSkew)) {
		return refuse("auth_time is before the sign-in started")
	}
	if d.MaxAge != nil && c.now().Sub(authTime) > time.Duration(*d.MaxAge)*time.Second+authTimeSkew {
		return refuse("auth_time is older than max_age")
	}
	return nil
}

// asUpstream expresses an error of the ID.me leg as the OAuth error for the relying party, with
// what the sign-in's outcome event reports: whose side failed, ID.me's HTTP status, the timings.
func asUpstream(err error, t upstream.Timing) error {
	code, desc := ForRelyingParty(err)
	return &upstream.Error{Code: code, Description: desc, Err: err, Kind: kindOf(err), Status: statusOf(err), Timing: t}
}

// kindOf says on whose side an error of the ID.me leg lies.
func kindOf(err error) upstream.Kind {
	var e *Error
	var ne net.Error
	switch {
	case errors.As(err, &e) && e.Code == "access_denied" && e.Status == 0:
		// On the redirect, access_denied is the user cancelling or failing verification.
		return upstream.KindDeclined
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return upstream.KindTimeout
	case errors.Is(err, errClientSecret):
		return upstream.KindBridge
	}
	return upstream.KindUpstream
}

// statusOf is ID.me's HTTP status carried by err, 0 when it carries none.
func statusOf(err error) int {
	var e *Error
	var se *StatusError
	switch {
	case errors.As(err, &e):
		return e.Status
	case errors.As(err, &se):
		return se.Status
	}
	return 0
}

// errorCode passes on an ID.me error code only when it has the shape RFC 6749 allows, so
// arbitrary text from a URL is never carried further.
func errorCode(code string) string {
	if len(code) == 0 || len(code) > 64 {
		return "other"
	}
	for _, c := range code {
		if (c < 'a' || c > 'z') && c != '_' {
			return "other"
		}
	}
	return code
}

// randomToken returns 256 random bits, URL-safe (43 characters).
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
