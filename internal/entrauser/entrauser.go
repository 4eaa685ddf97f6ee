// Package entrauser reads, through Microsoft Graph, which ID.me identity an Entra External ID
// user signed up with. External ID names its own user in a custom authentication extension
// call; the user's federated identity (signInType federated, issuer the bridge) carries the
// bridge's subject, which is the ID.me uuid.
//
// The bridge's managed identity needs the Microsoft Graph application permission
// User.Read.All in the External ID tenant.
package entrauser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// GraphScope is the token scope for Microsoft Graph with application permissions.
const GraphScope = "https://graph.microsoft.com/.default"

var (
	// ErrNoUser: Graph does not know the user (or the id is not an object id).
	ErrNoUser = errors.New("entrauser: no such user")
	// ErrNoFederatedIdentity: the user did not sign up through the bridge.
	ErrNoFederatedIdentity = errors.New("entrauser: the user has no identity issued by the bridge")
)

// Options configure a Directory.
type Options struct {
	// GraphURL is Graph's base URL, https://graph.microsoft.com.
	GraphURL string
	// Credential gets Graph tokens: the managed identity in Azure.
	Credential azcore.TokenCredential
	// Issuer is the issuer External ID records on identities federated from the bridge.
	Issuer string
	// Timeout bounds each Graph call (token included); default 1s.
	Timeout    time.Duration
	HTTPClient *http.Client
}

// Directory looks users up in Graph.
type Directory struct {
	o       Options
	issuers []string
}

// New returns a Directory.
func New(o Options) (*Directory, error) {
	if o.GraphURL == "" || o.Credential == nil || o.Issuer == "" {
		return nil, errors.New("entrauser: GraphURL, Credential and Issuer are required")
	}
	if o.Timeout <= 0 {
		o.Timeout = time.Second
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: o.Timeout}
	}
	return &Directory{o: o, issuers: issuerForms(o.Issuer)}, nil
}

// issuerForms are the spellings of the bridge's issuer an identity may carry: the issuer URL
// as configured, with a trailing slash, and its host alone (as Graph shows google.com for
// Google). Which one External ID stores for a custom OIDC provider is not documented.
func issuerForms(issuer string) []string {
	issuer = strings.TrimRight(issuer, "/")
	out := []string{strings.ToLower(issuer), strings.ToLower(issuer) + "/"}
	if u, err := url.Parse(issuer); err == nil && u.Host != "" {
		out = append(out, strings.ToLower(u.Host))
	}
	return out
}

var objectID = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// maxUserBytes bounds a Graph answer; a user with its identities is a few kilobytes.
const maxUserBytes = 256 << 10

// Identity is one entry of a Graph user's identities.
type Identity struct {
	SignInType       string `json:"signInType"`
	Issuer           string `json:"issuer"`
	IssuerAssignedID string `json:"issuerAssignedId"`
}

// FederatedSubject returns the subject the bridge issued to the user: the issuerAssignedId of
// the user's federated identity whose issuer is the bridge.
func (d *Directory) FederatedSubject(ctx context.Context, userID string) (string, error) {
	if !objectID.MatchString(userID) {
		return "", fmt.Errorf("the user id is not an object id: %w", ErrNoUser)
	}
	ctx, cancel := context.WithTimeout(ctx, d.o.Timeout)
	defer cancel()
	tok, err := d.o.Credential.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{GraphScope}})
	if err != nil {
		return "", fmt.Errorf("graph token: %w", err)
	}
	u := d.o.GraphURL + "/v1.0/users/" + url.PathEscape(userID) + "?$select=id,identities"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", fmt.Errorf("graph request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	req.Header.Set("Accept", "application/json")
	resp, err := d.o.HTTPClient.Do(req)
	if err != nil {
		// The transport's error quotes the URL, which holds the user's id: keep what failed only.
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		return "", fmt.Errorf("graph user: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxUserBytes))
	if err != nil {
		return "", fmt.Errorf("graph user: %w", err)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return "", ErrNoUser
	case resp.StatusCode != http.StatusOK:
		// Graph's error body names the code (Authorization_RequestDenied when the permission
		// is missing); it carries no personal data.
		var ge struct {
			Error struct{ Code string } `json:"error"`
		}
		_ = json.Unmarshal(body, &ge)
		return "", fmt.Errorf("graph user: HTTP %d %s", resp.StatusCode, ge.Error.Code)
	}
	var user struct {
		Identities []Identity `json:"identities"`
	}
	if err := json.Unmarshal(body, &user); err != nil {
		return "", fmt.Errorf("graph user: %w", err)
	}
	return d.pick(user.Identities)
}

// pick finds the bridge's federated identity. When there is none, the error names the
// issuers of the user's federated identities (provider names, not personal data): if the
// bridge's is among them under another spelling, EXTERNALID_IDENTITY_ISSUER is the fix.
func (d *Directory) pick(ids []Identity) (string, error) {
	var others []string
	for _, id := range ids {
		if !strings.EqualFold(id.SignInType, "federated") || id.IssuerAssignedID == "" {
			continue
		}
		iss := strings.ToLower(id.Issuer)
		for _, want := range d.issuers {
			if iss == want {
				return id.IssuerAssignedID, nil
			}
		}
		others = append(others, strconv.Quote(id.Issuer))
	}
	if len(others) > 0 {
		return "", fmt.Errorf("%w (its federated identities are issued by %s, not %q)", ErrNoFederatedIdentity, strings.Join(others, ", "), d.o.Issuer)
	}
	return "", ErrNoFederatedIdentity
}
