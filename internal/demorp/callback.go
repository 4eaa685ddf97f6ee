package demorp

import (
	"errors"
	"net/http"
)

// handleAuthResponse receives the bridge's form_post answer. The pending sign-in is consumed
// before anything else is looked at, so every state works once at most.
func (rp *RP) handleAuthResponse(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		status := http.StatusBadRequest
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			status = http.StatusRequestEntityTooLarge
		}
		rp.renderError(w, status, errorPage{Title: "Unreadable answer", Message: "The form could not be read.", Detail: err.Error()})
		return
	}
	form := r.PostForm

	login, ok := rp.pending.take(form.Get("state"), rp.now())
	if !ok {
		rp.log.Warn("answer with unknown, used or expired state")
		rp.renderError(w, http.StatusBadRequest, errorPage{
			Title:   "Unknown or expired sign-in",
			Message: "This answer does not belong to a sign-in started here in the last 10 minutes, or it was already used. Start again.",
		})
		return
	}

	op, err := rp.upstreamOP(r.Context())
	if err != nil {
		rp.renderError(w, http.StatusBadGateway, errorPage{Title: "The bridge could not be reached", Message: "Discovery failed.", Detail: err.Error()})
		return
	}

	// RFC 9207: the answer must name the issuer we sent the browser to, which defeats mix-up
	// attacks; when the bridge advertises the parameter, its absence is an error too.
	switch iss := form.Get("iss"); {
	case iss != "" && iss != rp.issuer:
		rp.log.Warn("answer names another issuer")
		rp.renderError(w, http.StatusBadRequest, errorPage{
			Title:   "Answer from the wrong issuer",
			Message: "The iss parameter of the answer is not the issuer this sign-in was sent to (RFC 9207).",
			Detail:  "expected " + rp.issuer + ", got " + iss,
		})
		return
	case iss == "" && op.issParamRequired:
		rp.renderError(w, http.StatusBadRequest, errorPage{
			Title:   "Answer without issuer",
			Message: "The bridge advertises authorization_response_iss_parameter_supported but sent no iss parameter (RFC 9207).",
		})
		return
	}

	if code := form.Get("error"); code != "" {
		rp.log.Info("bridge answered with an error", "error", code)
		message := "This is what B2C would receive; it shows the user an error page."
		if code == "access_denied" {
			message = "Access was denied. At ID.me, a user who has not satisfied the policy cannot finish: they can only decline " +
				"(or call ID.me's support hotline). The bridge answers access_denied too when it refuses to finish a sign-in; " +
				"error_description says which. This is what B2C receives instead of claims."
		}
		rp.renderError(w, http.StatusBadRequest, errorPage{
			Title:       "The bridge answered with an error",
			Message:     message,
			ErrorCode:   code,
			Description: form.Get("error_description"),
		})
		return
	}

	code := form.Get("code")
	if code == "" {
		rp.renderError(w, http.StatusBadRequest, errorPage{Title: "Answer without a code", Message: "The answer carried neither code nor error."})
		return
	}

	result, err := rp.completeSignIn(r.Context(), op, login, code)
	if err != nil {
		rp.log.Warn("sign-in failed", "err", err)
		page := errorPage{Title: "Sign-in failed", Message: "B2C would refuse this sign-in.", Detail: err.Error()}
		var se *signInError
		if errors.As(err, &se) {
			page.Title, page.Message, page.Detail = se.title, se.hint, se.err.Error()
		}
		rp.renderError(w, http.StatusBadGateway, page)
		return
	}
	rp.log.Info("sign-in completed", "scope", login.scope)
	rp.renderPage(w, http.StatusOK, "result", result)
}
