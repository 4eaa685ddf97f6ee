package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
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
