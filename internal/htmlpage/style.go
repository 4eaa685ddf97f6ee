package htmlpage

import (
	"fmt"
	"html/template"
)

// Style is the one stylesheet of every page the project serves (the bridge, the ID.me
// simulator, the demo relying party). It is sized for a 390 px phone as well as a desktop:
// nothing is wider than the viewport, and long tokens and URLs wrap instead of overflowing.
const Style = `*{box-sizing:border-box}` +
	`body{font-family:system-ui,sans-serif;max-width:52rem;margin:0 auto;padding:1rem;color:#1b1b1b;line-height:1.45;overflow-wrap:anywhere}` +
	`h1{font-size:1.45rem;margin:.6rem 0}h2{font-size:1.1rem;margin-top:1.6rem}` +
	`.note{background:#fff7d6;border:1px solid #e0c96a;padding:.6rem .8rem;border-radius:4px}` +
	`.bad{background:#fdecea;border:1px solid #e3a39c;padding:.6rem .8rem;border-radius:4px}` +
	`.verdict{font-size:1.15rem;font-weight:600;padding:.6rem .8rem;border-radius:4px;border:1px solid #c9c9c9;margin:.4rem 0}` +
	`.good{color:#1d6b2f}.warn{color:#9a3412}.muted{color:#555}` +
	`ul.links,ul.buttons{list-style:none;padding:0}ul.links li,ul.buttons li{margin:.45rem 0}` +
	`ul.links a{display:block;padding:.6rem .8rem;border:1px solid #c9c9c9;border-radius:4px;text-decoration:none;color:#0b4f8a}` +
	`ul.links a:hover{background:#eef5fb}` +
	`a.button,button{display:inline-block;font:inherit;padding:.55rem .9rem;border:0;border-radius:4px;background:#0b4f8a;color:#fff;text-decoration:none;cursor:pointer}` +
	`a.button:hover,button:hover{background:#093e6c}` +
	`table{border-collapse:collapse;width:100%;table-layout:fixed}` +
	`th,td{text-align:left;vertical-align:top;padding:.35rem .5rem;border-bottom:1px solid #e2e2e2;overflow-wrap:anywhere}` +
	`th{font-weight:600}` +
	`pre,textarea{background:#f5f5f5;border:1px solid #e2e2e2;border-radius:4px;padding:.7rem;white-space:pre-wrap;overflow-wrap:anywhere;max-width:100%}` +
	`textarea{width:100%;font-family:ui-monospace,monospace;font-size:.85em}` +
	`code,pre{font-size:.9em}small{color:#555}`

// layout is the frame every page shares: "head" takes the page title, "end" closes the page.
const layout = `{{define "head"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{if eq . site}}{{.}}{{else}}{{.}} · {{site}}{{end}}</title><style>` + Style + `</style></head><body>{{end}}
{{define "end"}}</body></html>{{end}}
{{define "links"}}{{template "head" .Title}}
<h1>{{.Title}}</h1>{{if .Intro}}
<p class="note">{{.Intro}}</p>{{end}}
<ul class="links">{{range .Links}}
<li><a href="{{.Href}}">{{.Label}}{{if .Note}} <small>{{.Note}}</small>{{end}}</a></li>{{end}}
</ul>
{{template "end"}}{{end}}`

// Parse returns the shared layout plus the package's own page definitions. site names the
// tool in every page title ("ID.me simulator", "demo relying party").
func Parse(site, pages string) (*template.Template, error) {
	t := template.New(site).Funcs(template.FuncMap{"site": func() string { return site }})
	if _, err := t.Parse(layout); err != nil {
		return nil, fmt.Errorf("htmlpage: parse layout: %w", err)
	}
	if _, err := t.Parse(pages); err != nil {
		return nil, fmt.Errorf("htmlpage: parse %s pages: %w", site, err)
	}
	return t, nil
}

// CSP is the Content-Security-Policy of every page rendered from Parse's templates.
func CSP() string { return StyleOnlyCSP(Style) }
