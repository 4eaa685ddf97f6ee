package idme

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"golang.org/x/oauth2"
)

// Tokens is ID.me's answer to the code exchange.
type Tokens struct {
	AccessToken string
	IDToken     string // empty when openid was not requested
}

// Exchange redeems an authorization code, once. It is never retried: ID.me codes are
// single-use, and presenting one twice revokes what was issued from it.
func (c *Client) Exchange(ctx context.Context, code, verifier string, scopes []string) (*Tokens, error) {
	secret, err := c.opts.ClientSecret(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errClientSecret, err)
	}
	cfg := oauth2.Config{
		ClientID:     c.opts.ClientID,
		ClientSecret: secret,
		RedirectURL:  c.opts.RedirectURL,
		Endpoint: oauth2.Endpoint{
			TokenURL:  c.opts.Environment.BaseURL + "/oauth/token",
			AuthStyle: oauth2.AuthStyleInParams, // client_secret_post
		},
	}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	ctx = context.WithValue(ctx, oauth2.HTTPClient, c.once)
	opts := []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("scope", strings.Join(scopes, " "))}
	if verifier != "" {
		opts = append(opts, oauth2.VerifierOption(verifier))
	}
	tok, err := cfg.Exchange(ctx, code, opts...)
	if err != nil {
		return nil, exchangeError(err)
	}
	idToken, _ := tok.Extra("id_token").(string)
	return &Tokens{AccessToken: tok.AccessToken, IDToken: idToken}, nil
}

func exchangeError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		if re.ErrorCode != "" && re.Response.StatusCode < 500 {
			return fmt.Errorf("token exchange: %w", &Error{Code: re.ErrorCode, Description: re.ErrorDescription, Status: re.Response.StatusCode})
		}
		return fmt.Errorf("token exchange: %w", &StatusError{Status: re.Response.StatusCode})
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("token exchange: %w: %w", ErrUnavailable, err)
	}
	// oauth2 reports a 2xx answer it cannot read (no access_token, bad JSON) as a plain error.
	return fmt.Errorf("token exchange: %w: %w", ErrUnavailable, err)
}
