package demorp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v2/jws"
)

// resultPage is what a completed sign-in shows.
type resultPage struct {
	BaseURL string
	Scope   string
	// Policies are what the bridge asked ID.me for; Defaulted says they are the client's
	// defaults because the scope named none.
	Policies  string
	Defaulted bool
	Verdict   verdict
	// Journey is "verify" for the verify-military journey.
	Journey string
	// B2C is the OutputClaims mapping of the profile the journey uses; nil without the policy.
	B2C *b2cView

	RawIDToken    string
	Alg, Kid, Typ string
	Header        string // the decoded protected header, indented
	Checks        []check
	Claims        []claimRow
	Payload       string // the decoded payload, indented
	UserInfo      userInfoOutcome
	LogoutURL     string

	claims map[string]any
}

// b2cView is the id_token as B2C holds it after a technical profile's OutputClaims.
type b2cView struct {
	ProfileID string
	Rows      []b2cRow
	Dropped   []string
}

type check struct{ Name, Outcome string }

type claimRow struct{ Name, Value string }

type userInfoOutcome struct {
	Matched     bool
	Summary     string
	Differences []string
}

// newResultPage reads the header and payload of an id_token that has already been verified.
func newResultPage(rawIDToken string) (*resultPage, error) {
	msg, err := jws.Parse([]byte(rawIDToken))
	if err != nil {
		return nil, fmt.Errorf("parse id_token: %w", err)
	}
	sigs := msg.Signatures()
	if len(sigs) != 1 {
		return nil, fmt.Errorf("id_token has %d signatures, want 1", len(sigs))
	}
	headers := sigs[0].ProtectedHeaders()
	payload := msg.Payload()

	claims, err := decodeClaims(payload)
	if err != nil {
		return nil, err
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, payload, "", "  "); err != nil {
		return nil, fmt.Errorf("indent id_token payload: %w", err)
	}
	header, err := json.MarshalIndent(headers, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode id_token header: %w", err)
	}

	page := &resultPage{
		RawIDToken: rawIDToken,
		Header:     string(header),
		Alg:        headers.Algorithm().String(),
		Kid:        headers.KeyID(),
		Typ:        headers.Type(),
		Payload:    pretty.String(),
		claims:     claims,
	}
	for _, name := range sortedKeys(claims) {
		page.Claims = append(page.Claims, claimRow{Name: name, Value: formatClaim(name, claims[name])})
	}
	return page, nil
}

// decodeClaims keeps numbers as written, so exp does not turn into 1.7e+09.
func decodeClaims(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var claims map[string]any
	if err := dec.Decode(&claims); err != nil {
		return nil, fmt.Errorf("decode claims: %w", err)
	}
	if claims == nil {
		return nil, fmt.Errorf("decode claims: not a JSON object")
	}
	return claims, nil
}

// isTimeClaim reports NumericDate claims, shown with a readable UTC time beside the number.
func isTimeClaim(name string) bool {
	switch name {
	case "exp", "iat", "nbf", "auth_time":
		return true
	}
	return false
}

// formatClaim renders a claim value for the table: arrays joined, booleans as true/false,
// objects as compact JSON.
func formatClaim(name string, v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case string:
		return t
	case bool:
		if t {
			return "true"
		}
		return "false"
	case json.Number:
		if n, err := t.Int64(); err == nil && isTimeClaim(name) {
			return t.String() + " (" + time.Unix(n, 0).UTC().Format(time.RFC3339) + ")"
		}
		return t.String()
	case []any:
		if len(t) == 0 {
			return "(empty list)"
		}
		parts := make([]string, len(t))
		for i, e := range t {
			parts[i] = formatClaim("", e)
		}
		return strings.Join(parts, ", ")
	default:
		b, err := json.Marshal(t)
		if err != nil {
			return fmt.Sprint(t)
		}
		return string(b)
	}
}

// isProtocolClaim reports claims that describe the token rather than the user; userinfo need
// not repeat them.
func isProtocolClaim(name string) bool {
	switch name {
	case "iss", "aud", "exp", "iat", "nbf", "nonce", "auth_time", "at_hash", "c_hash", "azp", "jti", "amr", "acr", "sid":
		return true
	}
	return false
}

// diffClaims lists how userinfo's user claims differ from the id_token's.
func diffClaims(idClaims, uiClaims map[string]any) []string {
	var diffs []string
	if !reflect.DeepEqual(idClaims["sub"], uiClaims["sub"]) {
		// OpenID Connect Core 5.3.2: a userinfo answer for another sub must not be used.
		diffs = append(diffs, fmt.Sprintf("sub differs (id_token %s, userinfo %s): the userinfo answer must not be used",
			formatClaim("sub", idClaims["sub"]), formatClaim("sub", uiClaims["sub"])))
	}
	names := sortedKeys(idClaims)
	for _, n := range sortedKeys(uiClaims) {
		if _, ok := idClaims[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	for _, n := range names {
		if n == "sub" || isProtocolClaim(n) {
			continue
		}
		idV, inID := idClaims[n]
		uiV, inUI := uiClaims[n]
		switch {
		case !inUI:
			diffs = append(diffs, n+": only in the id_token")
		case !inID:
			diffs = append(diffs, n+": only in userinfo")
		case !reflect.DeepEqual(idV, uiV):
			diffs = append(diffs, fmt.Sprintf("%s: id_token %s, userinfo %s", n, formatClaim(n, idV), formatClaim(n, uiV)))
		}
	}
	return diffs
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
