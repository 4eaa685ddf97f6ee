package loadtest

import (
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
