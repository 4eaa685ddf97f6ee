package idme

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// droppingServer is a raw TCP server: it answers /warm normally with keep-alive, and for any
// other path reads the whole request and closes the connection without answering, as a
// server (or a load balancer) closing an idle keep-alive connection does at the wrong moment.
type droppingServer struct {
	ln    net.Listener
	mu    sync.Mutex
	paths map[string]int
}

func newDroppingServer(t *testing.T) *droppingServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &droppingServer{ln: ln, paths: map[string]int{}}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(conn)
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return s
}

func (s *droppingServer) serve(conn net.Conn) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(conn)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, req.Body)
		s.mu.Lock()
		s.paths[req.URL.Path]++
		s.mu.Unlock()
		if req.URL.Path != "/warm" {
			return // read it, then drop the connection
		}
		fmt.Fprint(conn, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n{}")
	}
}

func (s *droppingServer) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.paths[path]
}

// TestSingleUseCallsAreNeverResent checks the code exchange and the attributes.json call reach
// ID.me at most once even when the Transport could resend them: each goes out on a reused
// keep-alive connection that the server closes after reading the request. net/http resends
// such a request when it is replayable (a GET, or a body it can rewind), and ID.me would see a
// single-use code or token twice.
func TestSingleUseCallsAreNeverResent(t *testing.T) {
	for _, tt := range []struct {
		name, path string
		call       func(*Client) error
	}{
		{"attributes", "/api/public/v3/attributes.json", func(c *Client) error {
			_, err := c.Attributes(context.Background(), "token")
			return err
		}},
		{"code exchange", "/oauth/token", func(c *Client) error {
			_, err := c.Exchange(context.Background(), "code", "verifier", []string{"openid"})
			return err
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := newDroppingServer(t)
			base := "http://" + srv.ln.Addr().String()
			c := newTestClient(t, base, "")
			// Warm the pool through the same transport, so the next call reuses the connection.
			warm, err := c.http.Get(base + "/warm")
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, warm.Body)
			warm.Body.Close()
			err = tt.call(c)
			if !errors.Is(err, ErrUnavailable) {
				t.Fatalf("err = %v, want ErrUnavailable", err)
			}
			if n := srv.count(tt.path); n != 1 {
				t.Fatalf("%s reached the server %d times, want exactly 1", tt.path, n)
			}
			if srv.count("/warm") != 1 || !strings.HasPrefix(base, "http://127.0.0.1") {
				t.Fatalf("warm-up did not go as planned")
			}
		})
	}
}

// TestSharedTransportIsTuned checks the pool is sized for concurrent callbacks and bounded.
func TestSharedTransportIsTuned(t *testing.T) {
	c := newTestClient(t, "http://127.0.0.1:1", "")
	tr, ok := c.http.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("transport is %T", c.http.Transport)
	}
	if tr.MaxIdleConnsPerHost < 32 || tr.MaxConnsPerHost == 0 || tr.ResponseHeaderTimeout == 0 {
		t.Fatalf("transport idle/host %d, max/host %d, header timeout %v", tr.MaxIdleConnsPerHost, tr.MaxConnsPerHost, tr.ResponseHeaderTimeout)
	}
	once, ok := c.once.Transport.(singleUse)
	if !ok || once.next != c.http.Transport {
		t.Fatalf("single-use calls do not share the transport: %T", c.once.Transport)
	}
}
