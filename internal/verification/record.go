// Package verification keeps, when enabled, one record per completed ID.me verification: what
// partners that grant offers by verification status are advised to retain. Records are written
// in the background so the sign-in never waits for storage.
package verification

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
)

// Record is what is kept about one verification.
type Record struct {
	IDmeUUID   string         `json:"idme_uuid"`
	ClientID   string         `json:"client_id"`
	VerifiedAt time.Time      `json:"verified_at"`
	Groups     []string       `json:"groups"`
	Subgroups  []string       `json:"subgroups"`
	Claims     map[string]any `json:"claims"`
}

// Put stores one record body under a name (a blob upload in Azure).
type Put func(ctx context.Context, name string, body []byte) error

// Options configure a Writer.
type Options struct {
	// Include names sensitive claims to keep anyway (e.g. "birthdate"); by default the full
	// birth date and anything that looks like a social security number are left out.
	Include []string
	Timeout time.Duration // per write; default 10s
	Queue   int           // records waiting to be written; default 256
	Logger  *slog.Logger
}

// Writer queues records and writes them in Run.
type Writer struct {
	put     Put
	include map[string]bool
	timeout time.Duration
	queue   chan Record
	log     *slog.Logger
}

// NewWriter returns a Writer that stores records with put.
func NewWriter(put Put, o Options) *Writer {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Queue <= 0 {
		o.Queue = 256
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	include := map[string]bool{}
	for _, c := range o.Include {
		include[c] = true
	}
	return &Writer{put: put, include: include, timeout: o.Timeout, queue: make(chan Record, o.Queue), log: o.Logger}
}

// Submit queues a record of a verification, never blocking: when the queue is full the record
// is dropped and that is logged.
func (w *Writer) Submit(clientID string, claims map[string]any, at time.Time) {
	r := Record{ClientID: clientID, VerifiedAt: at.UTC(), Claims: map[string]any{}}
	r.IDmeUUID, _ = claims["sub"].(string)
	r.Groups, _ = claims["idme_groups"].([]string)
	r.Subgroups, _ = claims["idme_subgroups"].([]string)
	for k, v := range claims {
		if w.include[k] || !sensitive(k) {
			r.Claims[k] = v
		}
	}
	select {
	case w.queue <- r:
	default:
		w.log.Error("verification record dropped: the write queue is full")
	}
}

// sensitiveClaims are left out of records unless included by name: the full birth date.
var sensitiveClaims = []string{"birthdate"}

// sensitiveFragments leave out any claim whose name contains one, in any case: whatever an
// operator maps a social security number to (ID.me's handle for it is "social") is most
// likely named after it.
var sensitiveFragments = []string{"ssn", "social"}

// sensitive claims are left out unless included by name.
func sensitive(claim string) bool {
	c := strings.ToLower(claim)
	if slices.Contains(sensitiveClaims, c) {
		return true
	}
	return slices.ContainsFunc(sensitiveFragments, func(f string) bool { return strings.Contains(c, f) })
}

// Run writes queued records until ctx is done, then writes what is still queued.
func (w *Writer) Run(ctx context.Context) {
	for {
		select {
		case r := <-w.queue:
			w.write(r)
		case <-ctx.Done():
			for {
				select {
				case r := <-w.queue:
					w.write(r)
				default:
					return
				}
			}
		}
	}
}

func (w *Writer) write(r Record) {
	body, err := json.Marshal(r)
	if err != nil {
		w.log.Error("verification record not encoded", "err", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), w.timeout)
	defer cancel()
	if err := w.put(ctx, Name(r), body); err != nil {
		w.log.Error("verification record not written", "err", err)
	}
}

// Name is where a record is stored: per ID.me user, then by time, so a partner can list one
// person's verifications.
func Name(r Record) string {
	user := r.IDmeUUID
	if user == "" {
		user = "unknown"
	}
	return fmt.Sprintf("%s/%s.json", user, r.VerifiedAt.Format("20060102T150405.000000000Z"))
}
