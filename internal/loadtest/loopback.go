package loadtest

import (
	"context"
	"fmt"
	"net"
	"net/url"

	"idmebridge/internal/config"
)

// checkLoopback refuses any URL whose host is not this machine: a load test must never reach
// a real service, however it is misconfigured.
func checkLoopback(what, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%s %q is not an absolute http(s) URL", what, raw)
	}
	if !config.IsLoopbackHost(u.Hostname()) {
		return nil, fmt.Errorf("%s %q is not on loopback: the load test only talks to this machine", what, raw)
	}
	return u, nil
}

// checkLoopbackAddr is checkLoopback for a host:port to listen on or dial.
func checkLoopbackAddr(what, addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%s %q: %w", what, addr, err)
	}
	if !config.IsLoopbackHost(host) {
		return fmt.Errorf("%s %q is not on loopback", what, addr)
	}
	return nil
}

// The driver keeps to loopback in two layers, each enough on its own: every redirect it is
// about to follow is checked (checkRedirect), and every connection is checked before it is
// dialled (loopbackOnly), whatever URL or redirect led to it.

// checkRedirect refuses a redirect whose target is not on this machine.
func checkRedirect(loc *url.URL) error {
	if !config.IsLoopbackHost(loc.Hostname()) {
		return fmt.Errorf("redirect to %s, which is not on loopback", loc.Host)
	}
	return nil
}

type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// loopbackOnly wraps dial so an address that is not on loopback is refused before dial sees it.
func loopbackOnly(dial dialFunc) dialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if err := checkLoopbackAddr("connection", addr); err != nil {
			return nil, err
		}
		return dial(ctx, network, addr)
	}
}
