package provider

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

// TestStoreFailedLevel: a storage call cancelled because the client left is not an outage,
// so it is not logged as an error; a real storage failure is.
func TestStoreFailedLevel(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tt := range []struct {
		name  string
		ctx   context.Context
		level string
	}{
		{"client left", cancelled, `"level":"INFO"`},
		{"storage down", context.Background(), `"level":"ERROR"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			p := &Provider{log: slog.New(slog.NewJSONHandler(&buf, nil))}
			p.storeFailed(tt.ctx, "callback", errors.New("boom"))
			if !strings.Contains(buf.String(), tt.level) {
				t.Errorf("log %q, want %s", buf.String(), tt.level)
			}
		})
	}
}
