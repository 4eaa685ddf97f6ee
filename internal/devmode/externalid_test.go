package devmode

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"strings"
	"testing"
	"time"
)

// TestDevModeExternalID clicks through the External ID mode: sign-up through the bridge, then
// the token issuance start call; the veteran's final token carries the military verification,
// and a military persona whose email ID.me did not verify is stopped as External ID would stop it.
func TestDevModeExternalID(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	env, err := Start(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel()
		if err := env.Wait(); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	}()
	for _, tt := range []struct {
		persona string
		status  int
		want    []string
	}{
		{"veteran", http.StatusOK, []string{`"email_verified": true`, `"idme_military_verified": "true"`, `"idme_subgroups": [`, `"Veteran"`, `"Source": "CustomClaimsProvider"`}},
		{"service_member", http.StatusForbidden, []string{"email_verified is not true"}},
	} {
		t.Run(tt.persona, func(t *testing.T) {
			jar, _ := cookiejar.New(nil)
			browser := &http.Client{Jar: jar, Timeout: 10 * time.Second,
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			next := env.RPURL + "/externalid/login"
			var page string
			status := 0
			for hop := 0; hop < 10 && next != ""; hop++ {
				if strings.HasPrefix(next, env.IDmeURL+"/oauth/authorize") {
					next += "&persona=" + tt.persona
				}
				resp, err := browser.Get(next)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				next, status, page = resp.Header.Get("Location"), resp.StatusCode, html.UnescapeString(string(body))
				if next == "" && status == http.StatusOK && strings.Contains(page, `<form method="post"`) {
					page = html.UnescapeString(postForm(t, browser, page))
				}
			}
			if os.Getenv("SHOW_PAGE") != "" {
				t.Log(page)
			}
			if status != tt.status {
				t.Fatalf("status %d, want %d:\n%s", status, tt.status, page)
			}
			for _, w := range tt.want {
				if !strings.Contains(page, w) {
					t.Errorf("page lacks %q:\n%s", w, page)
				}
			}
		})
	}
}
