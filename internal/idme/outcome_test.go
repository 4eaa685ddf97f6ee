package idme

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"idmebridge/internal/upstream"
)

// TestCallbackFailureKinds: HandleCallback says on whose side each failure lies, ID.me's HTTP
// status, and how long the calls made took, for the sign-in's outcome event.
func TestCallbackFailureKinds(t *testing.T) {
	fail := func(path string, status int, body string) func(http.ResponseWriter, *http.Request) bool {
		return func(w http.ResponseWriter, r *http.Request) bool {
			if r.URL.Path != path {
				return false
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
			return true
		}
	}
	stall := func(path string) func(http.ResponseWriter, *http.Request) bool {
		return func(w http.ResponseWriter, r *http.Request) bool {
			if r.URL.Path != path {
				return false
			}
			select { // longer than the client's timeout, and bounded
			case <-r.Context().Done():
			case <-time.After(time.Second):
			}
			return true
		}
	}
	tests := []struct {
		name     string
		query    url.Values
		fault    func(http.ResponseWriter, *http.Request) bool
		kind     upstream.Kind
		status   int
		attrCall bool // the attributes call was made, so it was timed
	}{
		{name: "declined on the redirect", query: url.Values{"error": {"access_denied"}}, kind: upstream.KindDeclined},
		{name: "another error on the redirect", query: url.Values{"error": {"invalid_scope"}}, kind: upstream.KindUpstream},
		{name: "token endpoint 503", fault: fail("/oauth/token", 503, `{}`), kind: upstream.KindUpstream, status: 503},
		{name: "token endpoint refuses the code", fault: fail("/oauth/token", 400, `{"error":"invalid_grant"}`), kind: upstream.KindUpstream, status: 400},
		{name: "token endpoint times out", fault: stall("/oauth/token"), kind: upstream.KindTimeout},
		{name: "attributes 500", fault: fail("/api/public/v3/attributes.json", 500, `oops`), kind: upstream.KindUpstream, status: 500, attrCall: true},
		{name: "attributes unreadable", fault: fail("/api/public/v3/attributes.json", 200, `{"attributes":`), kind: upstream.KindUpstream, status: 200, attrCall: true},
		{name: "attributes time out", fault: stall("/api/public/v3/attributes.json"), kind: upstream.KindTimeout, attrCall: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeIDme(t)
			next := f.srv.Config.Handler
			f.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.fault != nil && tt.fault(w, r) {
					return
				}
				next.ServeHTTP(w, r)
			})
			c := f.clientTimingOut(t, 300*time.Millisecond)
			data, err := c.Begin(upstream.LoginRequest{Scopes: []string{"military"}})
			if err != nil {
				t.Fatal(err)
			}
			f.set(f.sign(f.claims(nonceOf(t, data)), "RS256"), "")
			q := tt.query
			if q == nil {
				q = url.Values{"code": {"c1"}}
			}
			_, err = c.HandleCallback(t.Context(), data, q)
			var ue *upstream.Error
			if !errors.As(err, &ue) {
				t.Fatalf("err %v, want an upstream.Error", err)
			}
			if ue.Kind != tt.kind || ue.Status != tt.status {
				t.Errorf("kind %d status %d, want kind %d status %d (%v)", ue.Kind, ue.Status, tt.kind, tt.status, err)
			}
			if (q.Get("code") != "") != (ue.Timing.Token > 0) || tt.attrCall != (ue.Timing.Attributes > 0) {
				t.Errorf("timing %+v: the token call timed %v, the attributes call %v", ue.Timing, q.Get("code") != "", tt.attrCall)
			}
		})
	}
}

// TestCallbackTiming: a successful callback reports both calls' durations.
func TestCallbackTiming(t *testing.T) {
	f := newFakeIDme(t)
	c := f.client(t)
	data, err := c.Begin(upstream.LoginRequest{Scopes: []string{"military"}})
	if err != nil {
		t.Fatal(err)
	}
	f.set(f.sign(f.claims(nonceOf(t, data)), "RS256"), "")
	id, err := c.HandleCallback(t.Context(), data, url.Values{"code": {"c1"}})
	if err != nil {
		t.Fatal(err)
	}
	if id.Timing.Token <= 0 || id.Timing.Attributes <= 0 {
		t.Errorf("timing %+v, want both calls timed", id.Timing)
	}
}

// TestClientSecretIsTheBridgesSide: without its own ID.me secret the bridge failed, not ID.me.
func TestClientSecretIsTheBridgesSide(t *testing.T) {
	f := newFakeIDme(t)
	c := f.client(t)
	c.opts.ClientSecret = func(context.Context) (string, error) { return "", errors.New("vault down") }
	data, err := c.Begin(upstream.LoginRequest{Scopes: []string{"military"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.HandleCallback(t.Context(), data, url.Values{"code": {"c1"}})
	if ue := upstream.AsError(err); ue.Kind != upstream.KindBridge || ue.Status != 0 {
		t.Errorf("kind %d status %d, want the bridge's side and no status (%v)", ue.Kind, ue.Status, err)
	}
}
