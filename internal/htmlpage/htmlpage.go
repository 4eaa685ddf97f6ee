// Package htmlpage writes the small static HTML pages of the local tools (the ID.me simulator,
// the demo relying party): rendered in full before anything is sent, never cached or framed,
// and allowed one stylesheet, by hash, and nothing else.
package htmlpage

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"log/slog"
	"net/http"
)

// StyleOnlyCSP is a Content-Security-Policy that allows exactly the stylesheet style (an inline
// <style> with that content) and nothing else: no script, no forms, no framing.
func StyleOnlyCSP(style string) string {
	sum := sha256.Sum256([]byte(style))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
		"'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}

// Render executes the named template and writes it with status and the protective headers.
// A template error is logged and answered with a plain 500, so no half page is sent.
func Render(w http.ResponseWriter, log *slog.Logger, pages *template.Template, csp string, status int, name string, data any) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		log.Error("render page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
