package outcome

import (
	"context"
	"log/slog"
	"time"
)

// Log writes one event line at INFO: msg Message, then FieldEvent, then attrs. Every event goes
// through here, so every event has the same shape.
func Log(ctx context.Context, l *slog.Logger, event string, attrs ...slog.Attr) {
	LogAt(ctx, l, slog.LevelInfo, event, attrs...)
}

// LogAt is Log at another level: for an event that replaces a WARN or ERROR line, so that a
// failure keeps its severity (the Functions host files stderr lines as warnings or errors).
func LogAt(ctx context.Context, l *slog.Logger, level slog.Level, event string, attrs ...slog.Attr) {
	h := l.Handler()
	if !h.Enabled(ctx, level) {
		return
	}
	// The record is built here rather than through Logger.LogAttrs so that the event attribute
	// goes first without copying attrs into a new slice.
	r := slog.NewRecord(time.Now(), level, Message, 0)
	r.AddAttrs(slog.String(FieldEvent, event))
	r.AddAttrs(attrs...)
	_ = h.Handle(ctx, r)
}

// Ms is a duration in whole milliseconds, the unit of every duration field.
func Ms(key string, d time.Duration) slog.Attr { return slog.Int64(key, d.Milliseconds()) }
