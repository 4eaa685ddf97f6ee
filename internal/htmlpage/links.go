package htmlpage

import (
	"log/slog"
	"net/http"
)

// Link is one entry of a links page.
type Link struct {
	Label, Href, Note string
}

// LinksPage is a small page of links, such as the one at a server's root URL.
type LinksPage struct {
	Title, Intro string
	Links        []Link
}

// Handler serves the page: what a person typing the bare URL into a browser sees, instead of
// a 404. site names the tool in the title.
func (p LinksPage) Handler(site string, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	pages, err := Parse(site, "")
	if err != nil { // the layout is a constant: only a broken build gets here
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			log.Error("links page", "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
		})
	}
	csp := CSP()
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		Render(w, log, pages, csp, http.StatusOK, "links", p)
	})
}

// BridgeLinks is the bridge's root page: its discovery document, keys and health, and extra
// links (dev mode adds the demo). issuer is the bridge's issuer URL (a bare origin).
func BridgeLinks(issuer string, extra ...Link) LinksPage {
	return LinksPage{
		Title: "ID.me bridge",
		Intro: "An OpenID Connect provider that Azure AD B2C or Entra External ID federates to; it signs users in with ID.me. " +
			"Point the identity provider's metadata URL at the discovery document below.",
		Links: append([]Link{
			{Label: "Discovery document", Href: issuer + "/.well-known/openid-configuration", Note: "the metadata URL"},
			{Label: "Signing keys (JWKS)", Href: issuer + "/.well-known/jwks.json"},
			{Label: "Health", Href: issuer + "/healthz"},
		}, extra...),
	}
}
