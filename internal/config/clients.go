package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Client is one relying party allowed to federate to the bridge.
type Client struct {
	ID string `json:"client_id"`
	// SecretName names the client's secret in the secrets source.
	SecretName string `json:"secret_name"`
	// PreviousSecretName, during a secret rotation, names the secret being replaced: token
	// requests may present either until it is removed.
	PreviousSecretName string   `json:"previous_secret_name,omitempty"`
	RedirectURIs       []string `json:"redirect_uris"`
	// PostLogoutRedirectURIs are where /logout may send the browser afterwards.
	PostLogoutRedirectURIs []string `json:"post_logout_redirect_uris,omitempty"`
	// IDmeScopes are the ID.me policies this client may ask for (e.g. "military", "student").
	IDmeScopes []string `json:"idme_scopes"`
	// DefaultIDmeScopes are requested when the client asks for no ID.me policy itself.
	DefaultIDmeScopes []string `json:"default_idme_scopes,omitempty"`
	// DefaultResponseMode applies when a request names none: "query" (the OAuth default) or
	// "form_post".
	DefaultResponseMode string `json:"default_response_mode,omitempty"`
	// Claims, when set, is the allow-list of claims this client receives (sub always); others
	// are dropped (data minimisation).
	Claims []string `json:"claims,omitempty"`
	// StandardScopes, when true, releases the standard claims only for the scopes asked
	// (profile, email, phone, address: OIDC Core 5.4). B2C clients leave it off and receive
	// every translated claim, as B2C asks for openid alone.
	StandardScopes bool `json:"standard_scopes,omitempty"`
	// APIConnectorSecretName, when set, names the HTTP Basic password with which a B2C user
	// flow's API connector ("Before sending the token") calls the bridge for this client; the
	// Basic user name is the client id. The endpoint is served only when a client has one.
	APIConnectorSecretName string `json:"api_connector_secret_name,omitempty"`
	// PreviousAPIConnectorSecretName, during a rotation, names the password being replaced:
	// both are accepted until it is removed.
	PreviousAPIConnectorSecretName string `json:"previous_api_connector_secret_name,omitempty"`
	// APIConnectorFailClosed makes the connector refuse (HTTP 500) rather than answer without
	// the verification when the bridge cannot read it; B2C then ends the sign-in.
	APIConnectorFailClosed bool `json:"api_connector_fail_closed,omitempty"`
}

// ParseClients reads the BRIDGE_CLIENTS JSON array and checks every entry.
func ParseClients(raw string) ([]Client, error) {
	dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
	dec.DisallowUnknownFields()
	var clients []Client
	if err := dec.Decode(&clients); err != nil {
		return nil, fmt.Errorf("not a JSON array of clients: %w", err)
	}
	if len(clients) == 0 {
		return nil, errors.New("no clients")
	}
	var problems []error
	seen := map[string]bool{}
	for i, c := range clients {
		where := fmt.Sprintf("client %d (%s)", i, c.ID)
		if c.ID == "" {
			problems = append(problems, fmt.Errorf("%s: client_id is required", where))
		}
		if seen[c.ID] {
			problems = append(problems, fmt.Errorf("%s: duplicate client_id", where))
		}
		seen[c.ID] = true
		if c.SecretName == "" {
			problems = append(problems, fmt.Errorf("%s: secret_name is required", where))
		}
		if len(c.RedirectURIs) == 0 {
			problems = append(problems, fmt.Errorf("%s: at least one redirect_uri is required", where))
		}
		for _, u := range c.RedirectURIs {
			if err := checkRedirectURI(u); err != nil {
				problems = append(problems, fmt.Errorf("%s: %w", where, err))
			}
		}
		for _, u := range c.PostLogoutRedirectURIs {
			if err := checkPostLogoutURI(u); err != nil {
				problems = append(problems, fmt.Errorf("%s: %w", where, err))
			}
		}
		if len(c.IDmeScopes) == 0 {
			problems = append(problems, fmt.Errorf("%s: idme_scopes must list the ID.me policies it may use", where))
		}
		for _, s := range c.DefaultIDmeScopes {
			if !slices.Contains(c.IDmeScopes, s) {
				problems = append(problems, fmt.Errorf("%s: default ID.me scope %q is not in idme_scopes", where, s))
			}
		}
		problems = append(problems, checkAPIConnector(c, where)...)
		switch c.DefaultResponseMode {
		case "", "query", "form_post":
		default:
			problems = append(problems, fmt.Errorf("%s: default_response_mode must be query or form_post", where))
		}
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	return clients, nil
}

// SecretNames are the client's secrets a token request may present: the current one, then the
// previous one while a rotation is under way.
func (c Client) SecretNames() []string {
	if c.PreviousSecretName == "" || c.PreviousSecretName == c.SecretName {
		return []string{c.SecretName}
	}
	return []string{c.SecretName, c.PreviousSecretName}
}

// checkAPIConnector checks a client's API connector settings.
func checkAPIConnector(c Client, where string) []error {
	var problems []error
	if c.APIConnectorSecretName == "" {
		if c.PreviousAPIConnectorSecretName != "" || c.APIConnectorFailClosed {
			problems = append(problems, fmt.Errorf("%s: previous_api_connector_secret_name and api_connector_fail_closed need api_connector_secret_name", where))
		}
		return problems
	}
	// RFC 7617 section 2: the user-id of Basic credentials cannot contain a colon.
	if strings.Contains(c.ID, ":") {
		problems = append(problems, fmt.Errorf("%s: a client with an API connector cannot have ':' in its client_id (it is the Basic user name)", where))
	}
	// The connector's password is typed into the B2C portal, the client secret into a policy
	// key or identity provider: one leaked value must not open both doors.
	for _, n := range []string{c.APIConnectorSecretName, c.PreviousAPIConnectorSecretName} {
		if n != "" && slices.Contains(c.SecretNames(), n) {
			problems = append(problems, fmt.Errorf("%s: the API connector's secret %q must not be the client secret", where, n))
		}
	}
	return problems
}

// APIConnectorSecretNames are the passwords the client's API connector may present: the
// current one, then the previous one while a rotation is under way. None: no connector.
func (c Client) APIConnectorSecretNames() []string {
	switch {
	case c.APIConnectorSecretName == "":
		return nil
	case c.PreviousAPIConnectorSecretName == "" || c.PreviousAPIConnectorSecretName == c.APIConnectorSecretName:
		return []string{c.APIConnectorSecretName}
	}
	return []string{c.APIConnectorSecretName, c.PreviousAPIConnectorSecretName}
}
