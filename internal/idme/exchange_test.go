package idme

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"idmebridge/internal/upstream"
)

// How the bridge reads ID.me's token endpoint. RFC 6749 section 5.1 is a success (JSON with
// access_token), section 5.2 an error (JSON with error, status 400 or 401); DESIGN.md (ID.me)
// says the answer is JSON with access_token and, for openid, id_token.
func TestExchangeAnswers(t *testing.T) {
	huge := `{"access_token":"at","pad":"` + strings.Repeat("x", maxTokenResponseBytes) + `"}`
	tests := []struct {
		name     string
		status   int
		body     string
		stall    bool // send the headers, then nothing until the client gives up
		wantCode string
		wantErr  error
		wantKind upstream.Kind
		wantAT   string
	}{
		{"tokens", 200, `{"access_token":"at","id_token":"it","token_type":"bearer","expires_in":300}`, false, "", nil, 0, "at"},
		{"OAuth error in a 400", 400, `{"error":"invalid_grant","error_description":"used"}`, false, "invalid_grant", nil, 0, ""},
		{"OAuth error in a 200", 200, `{"error":"invalid_grant"}`, false, "invalid_grant", nil, 0, ""},
		{"OAuth error beside tokens in a 200", 200, `{"error":"invalid_grant","access_token":"at","id_token":"it"}`, false, "invalid_grant", nil, 0, ""},
		{"OAuth error in a 503 is an outage", 503, `{"error":"temporarily_unavailable"}`, false, "", ErrUnavailable, 0, ""},
		{"400 without an OAuth error", 400, `bad`, false, "", ErrUnavailable, 0, ""},
		{"200 without access_token", 200, `{"id_token":"it"}`, false, "", ErrUnavailable, 0, ""},
		{"200 that is not JSON", 200, `<html>`, false, "", ErrUnavailable, 0, ""},
		{"200 beyond the size bound", 200, huge, false, "", ErrUnavailable, 0, ""},
		{"body stalls after the headers", 200, `{"access_token":`, true, "", ErrUnavailable, upstream.KindTimeout, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			release := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
				if tt.stall {
					w.(http.Flusher).Flush()
					select { // long past the client's 500 ms, short of hanging the test
					case <-release:
					case <-time.After(3 * time.Second):
					}
				}
			}))
			defer srv.Close()
			defer close(release)
			c := newTestClient(t, srv.URL, "") // 500 ms timeout
			start := time.Now()
			tok, err := c.Exchange(context.Background(), "code", "ver", []string{"openid"})
			if el := time.Since(start); el > 2*time.Second {
				t.Fatalf("Exchange took %s: not bounded by its 500 ms timeout", el)
			}
			switch {
			case tt.wantAT != "":
				if err != nil || tok.AccessToken != tt.wantAT || tok.IDToken != "it" {
					t.Fatalf("Exchange = %+v, %v", tok, err)
				}
			case tt.wantCode != "":
				var e *Error
				if !errors.As(err, &e) || e.Code != tt.wantCode || tok != nil {
					t.Fatalf("Exchange = %+v, %v; want ID.me error %s", tok, err, tt.wantCode)
				}
			default:
				if !errors.Is(err, tt.wantErr) || tok != nil {
					t.Fatalf("Exchange = %+v, %v; want %v", tok, err, tt.wantErr)
				}
			}
			if tt.wantKind == upstream.KindTimeout && kindOf(err) != upstream.KindTimeout {
				t.Errorf("kind %v, want timeout: %v", kindOf(err), err)
			}
		})
	}
}

// The data call's body is bounded in time too, now that the client has no Client.Timeout.
func TestAttributesBodyStallIsBounded(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"attributes":[`))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-time.After(3 * time.Second):
		}
	}))
	defer srv.Close()
	defer close(release)
	c := newTestClient(t, srv.URL, "")
	start := time.Now()
	_, err := c.Attributes(context.Background(), "token")
	if el := time.Since(start); el > 2*time.Second || !errors.Is(err, ErrUnavailable) || kindOf(err) != upstream.KindTimeout {
		t.Fatalf("Attributes after %s: %v (kind %v)", el, err, kindOf(err))
	}
}
