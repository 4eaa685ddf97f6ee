// Package linebatch gathers the log lines a busy bridge writes in quick succession into one
// write. Under load the bridge logs a few lines per sign-in; written one by one, each is a
// system call on the host's pipe and a wake-up of the host's reader: about 0.1 ms of CPU per
// sign-in (README, Performance). Held for at most a short delay, they cost one write a batch. The Functions host reads a custom handler's stdout line by line
// (azure-functions-host, src/WebJobs.Script/Workers/ProcessManagement/WorkerProcess.cs:
// BeginOutputReadLine, then one OnOutputDataReceived per line), so a batch reaches it as the
// same lines.
package linebatch

import (
	"io"
	"sync"
	"time"
)

// Writer holds what is written to it for at most Delay, or until MaxBytes are waiting, then
// writes it all to the underlying writer at once. Callers write whole lines (slog's handlers
// do), so a batch is whole lines too. Close writes what is held; after Close every write goes
// straight through.
type Writer struct {
	out      io.Writer
	delay    time.Duration
	maxBytes int

	mu     sync.Mutex
	buf    []byte
	timer  *time.Timer
	armed  bool
	closed bool
}

// New returns a Writer in front of out. A delay of zero or less makes it pass every write
// straight through.
func New(out io.Writer, delay time.Duration, maxBytes int) *Writer {
	return &Writer{out: out, delay: delay, maxBytes: max(maxBytes, 1), closed: delay <= 0}
}

// Write holds p, to be written within the delay; when the batch reaches MaxBytes it is
// written now, and an error writing it is returned.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return w.out.Write(p)
	}
	w.buf = append(w.buf, p...)
	if len(w.buf) >= w.maxBytes {
		return len(p), w.flushLocked()
	}
	if !w.armed {
		w.armed = true
		if w.timer == nil {
			w.timer = time.AfterFunc(w.delay, w.flushTimer)
		} else {
			w.timer.Reset(w.delay)
		}
	}
	return len(p), nil
}

// Flush writes what is held now.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.flushLocked()
}

// Close writes what is held; later writes are not held.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	if w.timer != nil {
		w.timer.Stop()
	}
	return w.flushLocked()
}

func (w *Writer) flushTimer() { _ = w.Flush() }

func (w *Writer) flushLocked() error {
	w.armed = false
	if len(w.buf) == 0 {
		return nil
	}
	_, err := w.out.Write(w.buf)
	if cap(w.buf) > 4*w.maxBytes {
		w.buf = nil // one huge line does not stay allocated
	} else {
		w.buf = w.buf[:0]
	}
	return err
}
