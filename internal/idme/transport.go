package idme

import (
	"io"
	"net"
	"net/http"
	"time"
)

// newTransport is the one transport to ID.me, shared by every call: a keep-alive pool sized
// for concurrent callbacks (http.DefaultTransport keeps only 2 idle connections per host, so
// a burst of sign-ins would open, and TLS-handshake, a connection each), bounded so a slow
// ID.me cannot make the bridge open connections without limit.
func newTransport(timeout time.Duration) *http.Transport {
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          128,
		MaxIdleConnsPerHost:   64,
		MaxConnsPerHost:       256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		ExpectContinueTimeout: time.Second,
	}
}

// singleUse makes a request impossible for the Transport to send twice. net/http silently
// resends an idempotent request (a GET, or any request whose body it can rewind) when a
// reused keep-alive connection turns out to have been closed by the server, and it cannot
// know whether the server had already read it. ID.me codes and access tokens are single-use
// and presenting one twice revokes what it gave, so the code exchange and the data call carry
// a body the Transport cannot rewind (no GetBody): such a request is never replayed.
type singleUse struct{ next http.RoundTripper }

func (t singleUse) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	if r.Body == nil || r.Body == http.NoBody {
		r.Body = onceBody{}
	} else {
		r.Body = onceReader{r.Body}
	}
	r.GetBody = nil
	return t.next.RoundTrip(r)
}

// onceBody is an empty body of a type the Transport does not know, so it is not replayable.
type onceBody struct{}

func (onceBody) Read([]byte) (int, error) { return 0, io.EOF }
func (onceBody) Close() error             { return nil }

// onceReader hides the concrete type of a body (strings.Reader and the like are rewound).
type onceReader struct{ io.ReadCloser }
