package loadtest

import (
	"fmt"
	"io"
	"net/url"
	"strings"

	"golang.org/x/net/html"
)

// formPost is the auto-submitting form a response_mode=form_post answer carries.
type formPost struct {
	Action string
	Fields url.Values
}

// parseFormPost reads the first form of an HTML page and its hidden inputs, as a browser
// would before submitting it.
func parseFormPost(r io.Reader) (formPost, error) {
	z := html.NewTokenizer(r)
	var f formPost
	inForm := false
	for {
		switch z.Next() {
		case html.ErrorToken:
			if z.Err() == io.EOF {
				if !inForm {
					return formPost{}, fmt.Errorf("no form on the page")
				}
				return f, nil
			}
			return formPost{}, fmt.Errorf("read page: %w", z.Err())
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			switch {
			case tok.Data == "form" && !inForm:
				inForm = true
				f.Fields = url.Values{}
				f.Action = attr(tok, "action")
				if m := attr(tok, "method"); !strings.EqualFold(m, "post") {
					return formPost{}, fmt.Errorf("form method %q, want post", m)
				}
			case tok.Data == "input" && inForm:
				if name := attr(tok, "name"); name != "" {
					f.Fields.Add(name, attr(tok, "value"))
				}
			}
		case html.EndTagToken:
			if inForm && z.Token().Data == "form" {
				return f, nil
			}
		}
	}
}

func attr(t html.Token, name string) string {
	for _, a := range t.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

// personaLink finds, on a persona picker page, the link that picks persona.
func personaLink(r io.Reader, persona string) (string, bool) {
	z := html.NewTokenizer(r)
	for {
		switch z.Next() {
		case html.ErrorToken:
			return "", false
		case html.StartTagToken:
			tok := z.Token()
			if tok.Data != "a" {
				continue
			}
			href := attr(tok, "href")
			if u, err := url.Parse(href); err == nil && u.Query().Get("persona") == persona {
				return href, true
			}
		}
	}
}
