package devmode

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDevModeSignIn starts dev mode on free ports and clicks through it as a browser would:
// demo relying party -> bridge -> simulator persona -> bridge -> form_post -> result page.
func TestDevModeSignIn(t *testing.T) {
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
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	for _, tt := range []struct {
		persona string
		want    []string
	}{
		{"veteran", []string{"Vera", "idme_military_verified", "Veteran"}},
		{"unverified", []string{"Uma"}},
	} {
		t.Run(tt.persona, func(t *testing.T) {
			next := env.RPURL + "/login?policy=military"
			var page string
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
				next = resp.Header.Get("Location")
				page = string(body)
				if next == "" && resp.StatusCode == http.StatusOK && strings.Contains(page, `<form method="post"`) {
					page = postForm(t, browser, page)
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(page, w) {
					t.Errorf("result page lacks %q:\n%s", w, page)
				}
			}
		})
	}
}

var (
	actionRE = regexp.MustCompile(`<form method="post" action="([^"]+)">`)
	inputRE  = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
)

// postForm submits the bridge's form_post page, as its script would.
func postForm(t *testing.T, c *http.Client, page string) string {
	t.Helper()
	m := actionRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no form action in %s", page)
	}
	form := url.Values{}
	for _, in := range inputRE.FindAllStringSubmatch(page, -1) {
		form.Set(html.UnescapeString(in[1]), html.UnescapeString(in[2]))
	}
	resp, err := c.PostForm(html.UnescapeString(m[1]), form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("relying party answered %d: %s", resp.StatusCode, body)
	}
	return string(body)
}
