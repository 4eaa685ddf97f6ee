package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"sync/atomic"
	"time"
)

// BlobCounter is a reverse proxy in front of Azurite that counts the requests passing through
// it: point the bridge's AzureWebJobsStorage at it to learn how many Blob round trips a
// sign-in costs.
type BlobCounter struct {
	requests atomic.Int64
	srv      *http.Server
	ln       net.Listener
}

// StartBlobCounter listens on listen and forwards to upstream (both loopback).
func StartBlobCounter(listen, upstream string) (*BlobCounter, error) {
	if err := checkLoopbackAddr("blob proxy listen address", listen); err != nil {
		return nil, err
	}
	target, err := checkLoopback("blob upstream", upstream)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("blob proxy: %w", err)
	}
	c := &BlobCounter{ln: ln}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			// Shared Key signatures cover the Host the client used; keep it.
			r.Out.Host = r.In.Host
		},
		// Requests cut off when the run ends are not worth a log line each.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	c.srv = &http.Server{
		ReadHeaderTimeout: 10 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c.requests.Add(1)
			proxy.ServeHTTP(w, r)
		}),
	}
	go func() { _ = c.srv.Serve(ln) }()
	return c, nil
}

// Addr is where the proxy listens.
func (c *BlobCounter) Addr() string { return c.ln.Addr().String() }

// Requests is how many requests have passed so far.
func (c *BlobCounter) Requests() int64 { return c.requests.Load() }

// Close stops the proxy.
func (c *BlobCounter) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
