package authext

import (
	"context"
	"fmt"
	"sync"
)

// flight lets one caller do a slow fetch while the others wait for it only as long as their
// own context allows: a call waiting on a discovery that Warm started with a longer timeout
// still answers within its budget.
type flight struct {
	mu      sync.Mutex
	running chan struct{} // closed when the fetch in progress ends; nil: none
}

// lead returns (true, done) when the caller is to fetch, and must call done after; otherwise
// it waits for the fetch in progress to end, returning (false, nil), or for ctx.
func (f *flight) lead(ctx context.Context) (bool, func(), error) {
	f.mu.Lock()
	if ch := f.running; ch != nil {
		f.mu.Unlock()
		select {
		case <-ch:
			return false, nil, nil
		case <-ctx.Done():
			return false, nil, fmt.Errorf("waiting for the tenant: %w", ctx.Err())
		}
	}
	ch := make(chan struct{})
	f.running = ch
	f.mu.Unlock()
	return true, func() {
		f.mu.Lock()
		f.running = nil
		f.mu.Unlock()
		close(ch)
	}, nil
}
