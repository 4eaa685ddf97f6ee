package app

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

func asRetrieveError(err error, re **oauth2.RetrieveError) bool { return errors.As(err, re) }

func TestUserinfoRejects(t *testing.T) {
	w := newWorld(t)
	tok, err := w.redeem(w.codeFor("veteran"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		method     string
		header     string
		form       url.Values
		wantStatus int
	}{
		{"no token", "GET", "", nil, 401},
		{"unknown token", "GET", "Bearer nope", nil, 401},
		{"basic scheme", "GET", "Basic Zm9vOmJhcg==", nil, 400},
		{"token in form", "POST", "", url.Values{"access_token": {tok.AccessToken}}, 200},
		{"token twice", "POST", "Bearer " + tok.AccessToken, url.Values{"access_token": {tok.AccessToken}}, 400},
		{"good header", "GET", "Bearer " + tok.AccessToken, nil, 200},
		{"lowercase scheme", "GET", "bearer " + tok.AccessToken, nil, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body *strings.Reader
			if tt.form != nil {
				body = strings.NewReader(tt.form.Encode())
			} else {
				body = strings.NewReader("")
			}
			req, _ := http.NewRequest(tt.method, w.issuer+"/userinfo", body)
			if tt.form != nil {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			resp, err := w.bridge.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if tt.wantStatus == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate = %q", resp.Header.Get("WWW-Authenticate"))
			}
		})
	}
}
