package idme

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Tokens is ID.me's answer to the code exchange.
type Tokens struct {
	AccessToken string
	IDToken     string // empty when openid was not requested
}

// maxTokenResponseBytes bounds what the bridge reads from ID.me's token endpoint.
const maxTokenResponseBytes = 1 << 20

// tokenResponse is the part of ID.me's token response (RFC 6749 section 5.1, with OIDC's
// id_token) and error response (section 5.2) the bridge reads.
type tokenResponse struct {
	AccessToken      string `json:"access_token"`
	IDToken          string `json:"id_token"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// Exchange redeems an authorization code, once. It is never retried: ID.me codes are
// single-use, and presenting one twice revokes what was issued from it. The request is RFC
// 6749 section 4.1.3 with client_secret_post, plus scope (ID.me can refuse a token request
// without it) and the PKCE verifier.
func (c *Client) Exchange(ctx context.Context, code, verifier string, scopes []string) (*Tokens, error) {
	secret, err := c.opts.ClientSecret(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errClientSecret, err)
	}
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {c.opts.RedirectURL},
		"client_id":     {c.opts.ClientID},
		"client_secret": {secret},
		"scope":         {strings.Join(scopes, " ")},
	}
	if verifier != "" {
		form.Set("code_verifier", verifier)
	}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.opts.Environment.BaseURL+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.once.Do(req)
	if err != nil {
		return nil, fmt.Errorf("token exchange: %w: %w", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenResponseBytes))
	if err != nil {
		return nil, fmt.Errorf("token exchange: %w: %w", ErrUnavailable, err)
	}
	var tr tokenResponse
	parseErr := json.Unmarshal(body, &tr)
	switch {
	case resp.StatusCode < 500 && parseErr == nil && tr.Error != "":
		// An OAuth error (RFC 6749 section 5.2) below 500 is ID.me's word on this request,
		// whatever the status: a 200 that carries one is refused too, tokens or not.
		return nil, fmt.Errorf("token exchange: %w", &Error{Code: tr.Error, Description: tr.ErrorDescription, Status: resp.StatusCode})
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		// Anything else that is not a success is an outage.
		return nil, fmt.Errorf("token exchange: %w", &StatusError{Status: resp.StatusCode})
	case parseErr != nil || tr.AccessToken == "":
		return nil, fmt.Errorf("token exchange: %w: %w", ErrUnavailable, errors.Join(errors.New("response has no access_token"), parseErr))
	}
	return &Tokens{AccessToken: tr.AccessToken, IDToken: tr.IDToken}, nil
}
