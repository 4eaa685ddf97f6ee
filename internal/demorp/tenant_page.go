package demorp

import (
	"context"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"

	"idmebridge/internal/htmlpage"
)

// tenantStyle is the only styling of the tenant modes' pages; its hash goes into the CSP.
const tenantStyle = `body{font-family:system-ui,sans-serif;max-width:56rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b;line-height:1.45}` +
	`h1{font-size:1.5rem}h2{font-size:1.1rem;margin-top:1.8rem}` +
	`.note{background:#fff7d6;border:1px solid #e0c96a;padding:.6rem .8rem;border-radius:4px}` +
	`.bad{background:#fdecea;border:1px solid #e3a39c;padding:.6rem .8rem;border-radius:4px}` +
	`a.button{display:inline-block;padding:.55rem .9rem;border-radius:4px;background:#0b4f8a;color:#fff;text-decoration:none}` +
	`table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:.35rem .6rem;border-bottom:1px solid #e2e2e2}` +
	`th{width:14rem;font-weight:600}td{word-break:break-word}` +
	`pre{background:#f5f5f5;border:1px solid #e2e2e2;border-radius:4px;padding:.8rem;overflow:auto;white-space:pre-wrap;word-break:break-all}`

// tenantTemplates are the head and the error page of the tenant modes; "tenant-head" takes
// the page title.
const tenantTemplates = `{{define "tenant-head"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{.}}</title><style>` + tenantStyle + `</style></head><body>{{end}}

{{define "tenant-error"}}{{template "tenant-head" .Title}}
<h1>{{.Title}}</h1>
<div class="bad"><pre>{{.Detail}}</pre></div>
<p><a href="{{.BaseURL}}/">Back to the start page</a></p>
</body></html>{{end}}`

// finish serves a tenant's redirect URI: the bridge's answer, then complete (what the tenant
// does before it issues the application's token) within the outbound timeout, then the result
// page, or the page that says where the sign-in stopped.
func (f *federation) finish(w http.ResponseWriter, r *http.Request, p tenantPages, stopTitle, resultPage string,
	complete func(context.Context, *signedIn) (any, *stop)) {
	in, st := f.answer(r, stopTitle)
	if st != nil {
		p.fail(w, st)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), outboundTimeout)
	defer cancel()
	page, st := complete(ctx, in)
	if st != nil {
		p.fail(w, st)
		return
	}
	p.render(w, http.StatusOK, resultPage, page)
}

// tenantPages render a tenant mode's pages with the style both modes share.
type tenantPages struct {
	base  string
	log   *slog.Logger
	pages *template.Template
	csp   string
}

// newTenantPages checks the mode's base URL and the bridge's issuer and parses its pages. It
// returns the base URL's path too, for the mode's routes.
func newTenantPages(baseURL, issuer, name, templates string, log *slog.Logger) (tenantPages, string, error) {
	base, basePath, err := parseBaseAndIssuer(baseURL, issuer)
	if err != nil {
		return tenantPages{}, "", err
	}
	pages, err := template.New(name).Parse(tenantTemplates + templates)
	if err != nil {
		return tenantPages{}, "", fmt.Errorf("demorp: parse pages: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return tenantPages{base: base, log: log, pages: pages, csp: htmlpage.StyleOnlyCSP(tenantStyle)}, basePath, nil
}

func (p tenantPages) render(w http.ResponseWriter, status int, name string, data any) {
	htmlpage.Render(w, p.log, p.pages, p.csp, status, name, data)
}

// fail shows why the sign-in stopped.
func (p tenantPages) fail(w http.ResponseWriter, s *stop) {
	p.log.Warn("demo tenant sign-in stopped", "step", s.title, "err", s.err)
	p.render(w, s.status, "tenant-error", map[string]string{"Title": s.title, "Detail": s.err.Error(), "BaseURL": p.base})
}

// routes serve the patterns with request bodies bounded (a form_post answer is a code, a state
// and an issuer).
func routes(patterns map[string]http.HandlerFunc) http.Handler {
	mux := http.NewServeMux()
	for p, h := range patterns {
		mux.HandleFunc(p, h)
	}
	return http.MaxBytesHandler(mux, maxBodyBytes)
}
