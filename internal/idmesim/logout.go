package idmesim

import "net/http"

// handleLogout is GET /oauth/logout?client_id&redirect_uri. Both are required and the
// redirect_uri must be registered for the client; otherwise an error page, never a redirect.
func (s *Simulator) handleLogout(w http.ResponseWriter, r *http.Request) {
	if len(r.URL.RawQuery) > maxQueryBytes {
		s.errorPage(w, http.StatusRequestURITooLong, "The request is too large.")
		return
	}
	q := r.URL.Query()
	clientID, redirectURI := q.Get("client_id"), q.Get("redirect_uri")
	if clientID == "" || redirectURI == "" {
		s.errorPage(w, http.StatusBadRequest, "client_id and redirect_uri are required.")
		return
	}
	client, ok := s.client(clientID)
	if !ok {
		s.errorPage(w, http.StatusBadRequest, "Unknown client_id.")
		return
	}
	if !client.allowsRedirect(redirectURI) {
		s.errorPage(w, http.StatusBadRequest, "The redirect_uri is not registered for this client.")
		return
	}
	s.log.Info("logout", "client_id", clientID)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, redirectURI, http.StatusFound)
}
