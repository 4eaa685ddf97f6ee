package app

import (
	"context"
	"io"
	"log/slog"
)

// NewLogger returns the bridge's JSON-lines logger. INFO and DEBUG lines go to stdout and WARN
// and ERROR lines to stderr, because the Functions host files every stdout line as Information
// and a stderr line as Warning or Error by the words in it ("warn", "error"), which slog's
// "level":"WARN"/"ERROR" supply.
func NewLogger(stdout, stderr io.Writer, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	return slog.New(splitHandler{
		low:  slog.NewJSONHandler(stdout, opts),
		high: slog.NewJSONHandler(stderr, opts),
	})
}

// splitHandler sends records below WARN to low and the rest to high.
type splitHandler struct{ low, high slog.Handler }

func (h splitHandler) pick(l slog.Level) slog.Handler {
	if l >= slog.LevelWarn {
		return h.high
	}
	return h.low
}

func (h splitHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.pick(l).Enabled(ctx, l)
}

func (h splitHandler) Handle(ctx context.Context, r slog.Record) error {
	return h.pick(r.Level).Handle(ctx, r)
}

func (h splitHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return splitHandler{low: h.low.WithAttrs(attrs), high: h.high.WithAttrs(attrs)}
}

func (h splitHandler) WithGroup(name string) slog.Handler {
	return splitHandler{low: h.low.WithGroup(name), high: h.high.WithGroup(name)}
}
