package verification

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// ErrNoRecord is returned by Latest when no record is kept for the subject.
var ErrNoRecord = errors.New("verification: no record for this subject")

// List names the stored records whose names start with prefix.
type List func(ctx context.Context, prefix string) ([]string, error)

// Get reads one stored record body.
type Get func(ctx context.Context, name string) ([]byte, error)

// Reader finds a subject's latest verification among the records a Writer stored.
type Reader struct {
	list List
	get  Get
}

// NewReader reads records through list and get (a blob listing and download in Azure).
func NewReader(list List, get Get) *Reader { return &Reader{list: list, get: get} }

// Latest returns the most recent record of the ID.me subject. Names sort by time (see Name),
// so the latest is the greatest name under the subject's prefix.
func (r *Reader) Latest(ctx context.Context, subject string) (*Record, error) {
	names, err := r.names(ctx, subject)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, ErrNoRecord
	}
	rec, err := r.read(ctx, subject, names[0])
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// maxScanned bounds how many of a subject's records LatestFor reads, newest first, looking for
// one written for the client: a person verifying through many tenants cannot make a lookup
// read without end. Past it the answer is ErrNoRecord.
const maxScanned = 20

// LatestFor returns the most recent record of the ID.me subject that was written for clientID:
// one relying party never learns what a person verified through another. Records that cannot
// be read are passed over; when no record is found and one could not be read, that error is
// returned rather than ErrNoRecord, since the missing record may be the unreadable one.
func (r *Reader) LatestFor(ctx context.Context, subject, clientID string) (*Record, error) {
	if clientID == "" {
		return nil, fmt.Errorf("latest verification: no client: %w", ErrNoRecord)
	}
	names, err := r.names(ctx, subject)
	if err != nil {
		return nil, err
	}
	var unreadable error
	for _, n := range names[:min(len(names), maxScanned)] {
		rec, err := r.read(ctx, subject, n)
		switch {
		case errors.Is(err, ErrNoRecord): // another subject's record under this prefix
		case err != nil:
			if ctx.Err() != nil {
				return nil, err
			}
			unreadable = cmp.Or(unreadable, err)
		case rec.ClientID == clientID:
			return rec, nil
		}
	}
	if unreadable != nil {
		return nil, unreadable
	}
	return nil, ErrNoRecord
}

// names lists the subject's record names, newest first.
func (r *Reader) names(ctx context.Context, subject string) ([]string, error) {
	if !validSubject(subject) {
		return nil, fmt.Errorf("latest verification: subject is not an ID.me uuid: %w", ErrNoRecord)
	}
	prefix := subject + "/"
	listed, err := r.list(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("list verification records: %w", err)
	}
	var names []string
	for _, n := range listed {
		if strings.HasPrefix(n, prefix) && strings.HasSuffix(n, ".json") {
			names = append(names, n)
		}
	}
	slices.SortFunc(names, func(a, b string) int { return strings.Compare(b, a) })
	return names, nil
}

// read reads and decodes one record, which must name the subject.
func (r *Reader) read(ctx context.Context, subject, name string) (*Record, error) {
	body, err := r.get(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("read verification record: %w", err)
	}
	var rec Record
	if err := json.Unmarshal(body, &rec); err != nil {
		return nil, fmt.Errorf("decode verification record: %w", err)
	}
	if rec.IDmeUUID != subject {
		return nil, fmt.Errorf("verification record %s names another subject: %w", name, ErrNoRecord)
	}
	return &rec, nil
}

// validSubject accepts what ID.me uses as uuid (hex, letters, digits, '-'), so a subject can
// never climb out of its prefix.
func validSubject(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, c := range s {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Memory keeps records in this process: for local runs, where there is no Blob Storage.
type Memory struct {
	mu      sync.Mutex
	records map[string][]byte
}

// NewMemory returns an empty in-process record store.
func NewMemory() *Memory { return &Memory{records: map[string][]byte{}} }

// Put stores a record body; it fits Writer.
func (m *Memory) Put(_ context.Context, name string, body []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.records[name] = slices.Clone(body)
	return nil
}

// List names the records under prefix; it fits Reader.
func (m *Memory) List(_ context.Context, prefix string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for n := range m.records {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	return out, nil
}

// Get reads one record; it fits Reader.
func (m *Memory) Get(_ context.Context, name string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.records[name]
	if !ok {
		return nil, ErrNoRecord
	}
	return slices.Clone(b), nil
}
