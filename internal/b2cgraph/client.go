// Package b2cgraph calls the Microsoft Graph (beta) endpoints that manage an Azure AD B2C
// tenant's Identity Experience Framework: custom policy files (trustFrameworkPolicy) and policy
// keys (trustFrameworkKeySet). It speaks plain REST over net/http with a token from azidentity.
package b2cgraph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"idmebridge/internal/config"
)

// DefaultBaseURL is Graph's beta endpoint in the global cloud: the trustFramework APIs exist
// only in beta.
const DefaultBaseURL = "https://graph.microsoft.com/beta"

// DefaultTimeout bounds each call, the token request included.
const DefaultTimeout = 30 * time.Second

// maxResponse is the most of a response body read; Graph's answers here are small.
const maxResponse = 1 << 20

// Client is a Graph client for one B2C tenant (the tenant of its credential's token).
type Client struct {
	baseURL string
	scope   string
	cred    azcore.TokenCredential
	http    *http.Client
	timeout time.Duration
}

// Options adjust a Client; the zero value fits the global cloud.
type Options struct {
	// BaseURL is Graph's beta endpoint, e.g. https://graph.microsoft.us/beta for US Government.
	BaseURL string
	// HTTPClient sends the requests; nil: a new http.Client.
	HTTPClient *http.Client
	// Timeout bounds each call; zero: DefaultTimeout.
	Timeout time.Duration
}

// New returns a client that authenticates with cred.
func New(cred azcore.TokenCredential, opts Options) (*Client, error) {
	if cred == nil {
		return nil, errors.New("graph: a credential is required")
	}
	base := strings.TrimRight(opts.BaseURL, "/")
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || (u.Scheme != "https" && !config.IsLoopbackHost(u.Hostname())) {
		return nil, fmt.Errorf("graph: base URL %q must be an absolute https URL", opts.BaseURL)
	}
	c := &Client{
		baseURL: base,
		// The token's audience is Graph's host, whatever the version path.
		scope:   u.Scheme + "://" + u.Host + "/.default",
		cred:    cred,
		http:    opts.HTTPClient,
		timeout: opts.Timeout,
	}
	if c.http == nil {
		c.http = &http.Client{}
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	return c, nil
}

// call sends one request and decodes a JSON answer into out (when out is not nil). It returns
// the status code of a successful answer; any other answer is an *Error.
func (c *Client) call(ctx context.Context, op, method, path, contentType string, body []byte, out any) (int, error) {
	accept := ""
	if out != nil {
		// Only where a JSON answer is read: a $value upload gets none.
		accept = "application/json"
	}
	status, data, err := c.do(ctx, op, method, path, accept, contentType, body, maxResponse)
	if err != nil {
		return status, err
	}
	if out != nil && len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return status, fmt.Errorf("graph: %s: decode the answer: %w", op, err)
		}
	}
	return status, nil
}

// do sends one request and returns a successful answer's status and body, refusing a body over
// limit rather than returning part of it; any other answer is an *Error.
func (c *Client) do(ctx context.Context, op, method, path, accept, contentType string, body []byte, limit int64) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	tok, err := c.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{c.scope}})
	if err != nil {
		return 0, nil, fmt.Errorf("graph: %s: get a token for %s: %w", op, c.scope, err)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.baseURL+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, fmt.Errorf("graph: %s: %w", op, err)
	}
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("graph: %s: %w", op, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return 0, nil, fmt.Errorf("graph: %s: read the answer: %w", op, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, nil, newError(op, resp, data)
	}
	if int64(len(data)) > limit {
		return resp.StatusCode, nil, fmt.Errorf("graph: %s: the answer is larger than %d bytes", op, limit)
	}
	return resp.StatusCode, data, nil
}
