package app

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
)

// urlPattern finds URLs in log text. Errors from the Azure SDK and net/http carry the whole
// request URL: a verification record's blob is named by the user's ID.me uuid, and a SAS
// connection string puts its signature in the query. Only scheme and host are kept.
// A bare origin (an issuer, ID.me's host) is left as it is.
var urlPattern = regexp.MustCompile(`(https?://[^/\s"?#]+)[/?#][^\s"]*`)

func redactURLs(s string) string {
	if !strings.Contains(s, "://") { // most log text has no URL: skip the regexp
		return s
	}
	return urlPattern.ReplaceAllString(s, "$1/...")
}

// redactingHandler rewrites every string and error attribute of every record so that no
// URL path or query reaches the log, whichever package logged it.
type redactingHandler struct{ next slog.Handler }

func redacting(h slog.Handler) slog.Handler {
	if _, ok := h.(redactingHandler); ok {
		return h
	}
	return redactingHandler{next: h}
}

func (h redactingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h redactingHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, redactURLs(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h redactingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		red[i] = redactAttr(a)
	}
	return redactingHandler{next: h.next.WithAttrs(red)}
}

func (h redactingHandler) WithGroup(name string) slog.Handler {
	return redactingHandler{next: h.next.WithGroup(name)}
}

func redactAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, redactURLs(v.String()))
	case slog.KindGroup:
		group := v.Group()
		red := make([]any, len(group))
		for i, g := range group {
			red[i] = redactAttr(g)
		}
		return slog.Group(a.Key, red...)
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			// The text only: an error's own JSON form (the Azure SDK's) would carry the URL.
			return slog.Any(a.Key, redactedError{msg: redactURLs(err.Error()), err: err})
		}
		if s, ok := v.Any().(fmt.Stringer); ok {
			return slog.String(a.Key, redactURLs(s.String()))
		}
	}
	return a
}

// redactedError keeps errors.Is/As working for handlers that inspect the error.
type redactedError struct {
	msg string
	err error
}

func (e redactedError) Error() string { return e.msg }
func (e redactedError) Unwrap() error { return e.err }
