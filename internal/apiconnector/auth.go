package apiconnector

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"idmebridge/internal/config"
)

// errUnauthenticated marks a caller without valid credentials: a 401.
var errUnauthenticated = errors.New("unauthenticated")

// maxLoggedUser bounds the caller-supplied user name written to the log.
const maxLoggedUser = 64

// authenticate checks HTTP Basic credentials: the user name is a client id with an API
// connector password, the password the current or the previous one. B2C user flows offer
// Basic or a client certificate for API connectors (Learn: secure-rest-api, user flow pivot);
// the certificate is not offered here (see README). It returns the client, and an error
// wrapping errUnauthenticated, or another error when the passwords cannot be read.
func (c *Connector) authenticate(ctx context.Context, r *http.Request) (config.Client, error) {
	user, password, ok := r.BasicAuth()
	if !ok {
		return config.Client{}, fmt.Errorf("%w: no Basic credentials", errUnauthenticated)
	}
	client, ok := c.clients[user]
	if !ok {
		return config.Client{}, fmt.Errorf("%w: user %s is not a client with an API connector", errUnauthenticated, quoted(user))
	}
	type loaded struct {
		values []string
		err    error
	}
	got, err := within(ctx, func() (loaded, error) {
		var l loaded
		for _, name := range client.APIConnectorSecretNames() {
			v, err := c.secrets.Get(ctx, name)
			if err != nil || v == "" {
				l.err = errors.Join(l.err, fmt.Errorf("secret %s: %w", name, cmpErr(err)))
				continue
			}
			l.values = append(l.values, v)
		}
		return l, nil
	})
	if err != nil {
		return client, fmt.Errorf("reading the passwords: %w", err)
	}
	// Every loaded value is compared, in constant time over digests of equal length, so the
	// timing tells neither which value matched nor how long it is.
	sum := sha256.Sum256([]byte(password))
	match := 0
	for _, v := range got.values {
		want := sha256.Sum256([]byte(v))
		match |= subtle.ConstantTimeCompare(sum[:], want[:])
	}
	switch {
	case match == 1:
		return client, nil
	case got.err != nil:
		// The password may be the one that did not load.
		return client, got.err
	}
	return client, fmt.Errorf("%w: wrong password for client %s", errUnauthenticated, quoted(user))
}

// cmpErr names an empty value as an error.
func cmpErr(err error) error {
	if err == nil {
		return errors.New("empty value")
	}
	return err
}

// quoted is a caller-supplied value fit for the log: quoted and bounded.
func quoted(s string) string {
	if len(s) > maxLoggedUser {
		s = s[:maxLoggedUser] + "..."
	}
	return strconv.Quote(s)
}
