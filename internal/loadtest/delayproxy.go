package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// DelayProxy is a TCP proxy on loopback that holds every byte for half a round trip in each
// direction, as a network path with that round-trip time would. It works below HTTP and TLS,
// so keep-alive, pooling and handshakes cost what they would cost on such a path; only the
// TCP handshake itself is not delayed (the pooled connections of a warm bridge rarely make one).
type DelayProxy struct {
	ln       net.Listener
	upstream string
	oneWay   time.Duration
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	closed   bool
	// answers and answerTime measure the upstream's own time to answer: from a request's
	// last bytes handed to it to its answer's first bytes, per exchange.
	answers    atomic.Int64
	answerTime atomic.Int64
}

// AnswerTime is the mean time the upstream took to start answering, over the exchanges so
// far, and their number. The bytes of one connection alternate between request and answer
// (HTTP/1.1 without pipelining), which is what makes a TCP proxy able to see exchanges.
func (p *DelayProxy) AnswerTime() (time.Duration, int64) {
	n := p.answers.Load()
	if n == 0 {
		return 0, 0
	}
	return time.Duration(p.answerTime.Load() / n), n
}

// StartDelayProxy listens on listen and forwards each connection to upstream, both loopback
// host:port, with rtt/2 added each way.
func StartDelayProxy(listen, upstream string, rtt time.Duration) (*DelayProxy, error) {
	if err := checkLoopbackAddr("delay proxy listen address", listen); err != nil {
		return nil, err
	}
	if err := checkLoopbackAddr("delay proxy upstream", upstream); err != nil {
		return nil, err
	}
	if rtt < 0 {
		return nil, fmt.Errorf("delay proxy: negative round trip %s", rtt)
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("delay proxy: %w", err)
	}
	p := &DelayProxy{ln: ln, upstream: upstream, oneWay: rtt / 2, conns: map[net.Conn]struct{}{}}
	p.wg.Go(p.accept)
	return p, nil
}

// Addr is where the proxy listens.
func (p *DelayProxy) Addr() string { return p.ln.Addr().String() }

// Close stops accepting, cuts the open connections and waits for their goroutines.
func (p *DelayProxy) Close() error {
	err := p.ln.Close()
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	return err
}

// track records c for Close; false when the proxy is already closing.
func (p *DelayProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *DelayProxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

func (p *DelayProxy) accept() {
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	for {
		down, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Go(func() {
			defer down.Close()
			if !p.track(down) {
				return
			}
			defer p.untrack(down)
			up, err := loopbackOnly(dialer.DialContext)(context.Background(), "tcp", p.upstream)
			if err != nil {
				return
			}
			defer up.Close()
			if !p.track(up) {
				return
			}
			defer p.untrack(up)
			var sentAt atomic.Int64 // when the last request bytes reached the upstream; 0 once answered
			var both sync.WaitGroup
			both.Go(func() {
				p.pipe(up, down, func(t time.Time) { sentAt.Store(t.UnixNano()) }, nil)
			})
			both.Go(func() {
				p.pipe(down, up, nil, func(t time.Time) {
					if sent := sentAt.Swap(0); sent != 0 {
						p.answers.Add(1)
						p.answerTime.Add(t.UnixNano() - sent)
					}
				})
			})
			both.Wait()
		})
	}
}

// chunk is bytes read from one side and the moment they may reach the other.
type chunk struct {
	due time.Time
	b   []byte
}

// pipe copies src to dst, each read delivered oneWay after it arrived. Reading goes on while
// earlier chunks wait, so the delay is latency, not a throughput limit. wrote and read, when
// not nil, are told when bytes were written to dst and read from src.
func (p *DelayProxy) pipe(dst, src net.Conn, wrote, read func(time.Time)) {
	queue := make(chan chunk, 256)
	var writer sync.WaitGroup
	writer.Go(func() {
		failed := false
		for c := range queue {
			if failed {
				continue // drain, so the reader never blocks on a dead writer
			}
			time.Sleep(time.Until(c.due))
			if _, err := dst.Write(c.b); err != nil {
				failed = true
				_ = src.Close()
			} else if wrote != nil {
				wrote(time.Now())
			}
		}
		if cw, ok := dst.(interface{ CloseWrite() error }); ok && !failed {
			_ = cw.CloseWrite()
		}
	})
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if read != nil {
				read(time.Now())
			}
			queue <- chunk{due: time.Now().Add(p.oneWay), b: append([]byte(nil), buf[:n]...)}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				_ = dst.Close()
			}
			break
		}
	}
	close(queue)
	writer.Wait()
}
