package app

import (
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"idmebridge/internal/config"
)

// logRefusedAuthorize logs every authorize request refused for an unknown client or an
// unregistered redirect URI: the two most common setup mistakes, which otherwise show only as
// an error page in a user's browser. It looks at the request after the provider has answered
// (the provider parsed the form) and logs the client id and the redirect URI's shape, never a
// query value.
func logRefusedAuthorize(cfg *config.Config, log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		if r.URL.Path != "/authorize" || r.Form == nil {
			return
		}
		clientID, redirectURI := r.Form.Get("client_id"), r.Form.Get("redirect_uri")
		client, known := cfg.Client(clientID)
		switch {
		case !known:
			log.Warn("authorize refused: unknown client", "client_id", clip(clientID), "redirect_uri", uriShape(redirectURI),
				"fix", "register the client in BRIDGE_CLIENTS, or correct the client_id the relying party sends")
		case !slices.Contains(client.RedirectURIs, redirectURI):
			log.Warn("authorize refused: redirect URI not registered", "client_id", client.ID, "redirect_uri", uriShape(redirectURI),
				"differs", howDiffers(redirectURI, client.RedirectURIs),
				"fix", "add the exact redirect URI to the client's redirect_uris in BRIDGE_CLIENTS, or correct the relying party")
		}
	})
}

// uriShape is scheme://host/path of a URI, with the names (not values) of its query
// parameters, bounded in length: enough to see a mistake, nothing a user typed.
func uriShape(raw string) string {
	if raw == "" {
		return "(none)"
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(not an absolute URL)"
	}
	shape := u.Scheme + "://" + u.Host + u.EscapedPath()
	if q := u.Query(); len(q) > 0 {
		var names []string
		for k := range q {
			names = append(names, k)
		}
		slices.Sort(names)
		shape += "?" + strings.Join(names, "&")
	}
	if u.Fragment != "" {
		shape += "#..."
	}
	return clip(shape)
}

// howDiffers says how a refused redirect URI differs from a registered one it resembles.
func howDiffers(got string, registered []string) string {
	bare, _, _ := strings.Cut(got, "#")
	bare, _, _ = strings.Cut(bare, "?")
	for _, reg := range registered {
		if !strings.EqualFold(strings.TrimSuffix(bare, "/"), strings.TrimSuffix(reg, "/")) {
			continue
		}
		var how []string
		if bare != got {
			how = append(how, "query or fragment added")
		}
		if strings.HasSuffix(bare, "/") != strings.HasSuffix(reg, "/") {
			how = append(how, "trailing slash")
		}
		if strings.TrimSuffix(bare, "/") != strings.TrimSuffix(reg, "/") {
			how = append(how, "letter case")
		}
		return strings.Join(how, ", ")
	}
	return "not like any registered redirect URI"
}

func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}
