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

// startDev runs dev mode on free ports for one test.
func startDev(t *testing.T, o Options) *Env {
	t.Helper()
	if o.PoliciesDir == "" {
		o.PoliciesDir = "../../policies"
	}
	ctx, cancel := context.WithCancel(context.Background())
	env, err := Start(ctx, o)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		if err := env.Wait(); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	if env.PolicyProblem != "" {
		t.Fatalf("policy files: %s", env.PolicyProblem)
	}
	return env
}

func newBrowser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// TestDevModeSignIn clicks through dev mode as a browser without JavaScript would:
// demo relying party -> bridge -> simulator persona -> bridge -> form_post -> result page.
func TestDevModeSignIn(t *testing.T) {
	env := startDev(t, Options{})
	tests := []struct {
		name, login, persona string
		want                 []string
	}{
		{"verified", "/login?policy=military", "veteran", []string{
			`<div class="good">military: verified, Veteran</div>`,
			"<td><code>idmeMilitaryVerified</code></td><td><code>idme_military_verified</code></td><td>true</td>",
			"<td><code>givenName</code></td><td><code>given_name</code></td><td>Vera</td>",
			`id="sign-out"`,
		}},
		{"openid only says what the bridge asked for", "/login", "veteran", []string{
			"names no ID.me policy: the bridge asked ID.me\nfor this application's default, <code>military</code>",
			"military: verified, Veteran",
		}},
		{"not verified for the policy: stopped at ID.me", "/login?policy=military", "unverified", []string{
			"Verification needed", "support hotline",
		}},
		{"groups flow: one community is enough", "/login?" + url.Values{"policy": {"military student"}}.Encode(), "student", []string{
			`<div class="warn">military: not verified</div>`, `<div class="good">student: verified</div>`,
			"/verify\">see its verification-required page</a>",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := clickThrough(t, newBrowser(), env, env.RPURL+tt.login, tt.persona)
			for _, w := range tt.want {
				if !strings.Contains(page, w) {
					t.Errorf("page lacks %q:\n%s", w, page)
				}
			}
		})
	}
}

// clickThrough follows redirects from start, picks the persona at the simulator and submits
// the bridge's form_post page, returning the last page.
func clickThrough(t *testing.T, browser *http.Client, env *Env, start, persona string) string {
	t.Helper()
	next, page := start, ""
	for hop := 0; hop < 10 && next != ""; hop++ {
		if strings.HasPrefix(next, env.IDmeURL+"/") && !strings.Contains(next, "persona=") {
			next += "&persona=" + persona
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
	return page
}

var (
	actionRE = regexp.MustCompile(`<form method="post" action="([^"]+)">`)
	inputRE  = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
	hrefRE   = regexp.MustCompile(`href="([^"]+)"`)
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

// TestRootPages: the bridge's and the simulator's bare URLs link to their endpoints and the
// demo, and every link answers.
func TestRootPages(t *testing.T) {
	env := startDev(t, Options{})
	c := newBrowser()
	for _, root := range []string{env.BridgeURL + "/", env.IDmeURL + "/"} {
		resp := waitReady(t, c, root)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `name="viewport"`) {
			t.Fatalf("%s: %d %s", root, resp.StatusCode, body)
		}
		links := hrefRE.FindAllStringSubmatch(string(body), -1)
		if len(links) < 3 || !strings.Contains(string(body), env.RPURL+"/") {
			t.Fatalf("%s links %v, want the endpoints and the demo", root, links)
		}
		for _, l := range links {
			resp, err := c.Get(html.UnescapeString(l[1]))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("%s links %s, which answers %d", root, l[1], resp.StatusCode)
			}
		}
	}
}

// waitReady retries while the bridge finishes starting (503 until its keys are ready).
func waitReady(t *testing.T, c *http.Client, u string) *http.Response {
	t.Helper()
	for i := 0; ; i++ {
		resp, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusServiceUnavailable || i == 100 {
			return resp
		}
		resp.Body.Close()
		time.Sleep(20 * time.Millisecond)
	}
}
