package browsertest

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"idmebridge/internal/devmode"
)

// startDev runs dev mode in-process on free loopback ports, the simulator on 127.0.0.1 so
// that the return from "ID.me" to the bridge (on localhost) is cross-site, as in production.
func startDev(t *testing.T) *devmode.Env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	env, err := devmode.Start(ctx, devmode.Options{IDmeHost: "127.0.0.1", PoliciesDir: "../../policies"})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		if err := env.Wait(); err != nil {
			t.Errorf("dev mode shutdown: %v", err)
		}
	})
	if env.PolicyProblem != "" {
		t.Fatalf("policy files: %s", env.PolicyProblem)
	}
	return env
}

// signIn starts at the demo's start page, clicks the button whose link ends in login, picks
// the persona at the simulator, and comes back through the bridge's form_post page (submitted
// by its script, or by the Continue button without JavaScript). It stops on the demo's answer.
func signIn(t *testing.T, tab context.Context, env *devmode.Env, login, persona string, javascript bool) {
	t.Helper()
	step(t, tab, "open the demo",
		chromedp.Navigate(env.RPURL+"/"),
		chromedp.Click(chromedp.CSS(`a[href="`+env.RPURL+login+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href*="persona=`+persona+`"]`)),
	)
	fitsPhone(t, tab, "the simulator's persona picker")
	// The binding cookie was set by the bridge (localhost) before the browser left for the
	// simulator (127.0.0.1, another site).
	requireBindingCookie(t, tab, env)
	step(t, tab, "pick "+persona, chromedp.Click(chromedp.CSS(`a[href*="persona=`+persona+`"]`)))
	if !javascript {
		// The bridge's form_post page waits for a click without its script.
		step(t, tab, "see the form_post page", chromedp.WaitVisible(chromedp.CSS(`form button[type="submit"]`)))
		fitsPhone(t, tab, "the bridge's form_post page")
		step(t, tab, "submit the form_post page", chromedp.Click(chromedp.CSS(`form button[type="submit"]`)))
	}
}

// requireBindingCookie checks that the bridge set its __Host- cookie: Secure, HttpOnly,
// SameSite=Lax, for the bridge's origin only.
func requireBindingCookie(t *testing.T, tab context.Context, env *devmode.Env) []*network.Cookie {
	t.Helper()
	cookies := bridgeCookies(t, tab, env)
	for _, c := range cookies {
		if strings.HasPrefix(c.Name, "__Host-") && c.Secure && c.HTTPOnly && c.SameSite == network.CookieSameSiteLax && c.Domain == "localhost" {
			return cookies
		}
	}
	t.Fatalf("no __Host- binding cookie (Secure, HttpOnly, SameSite=Lax) for the bridge: %+v", cookies)
	return nil
}

func bridgeCookies(t *testing.T, tab context.Context, env *devmode.Env) []*network.Cookie {
	t.Helper()
	var cookies []*network.Cookie
	step(t, tab, "read cookies", chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
		res, err := cdpCall(ctx, target, network.GetCookies, network.GetCookiesParams{URLs: []string{env.BridgeURL + "/"}})
		cookies = res.Cookies
		return err
	}))
	return cookies
}

// TestBrowser runs every browser test against one dev mode and one Chromium, which keeps the
// whole run to seconds.
func TestBrowser(t *testing.T) {
	browser := newBrowser(t) // skips first when Chromium is missing
	env := startDev(t)
	t.Run("sign-in", func(t *testing.T) { testSignIn(t, env, browser) })
	t.Run("demo", func(t *testing.T) { testDemo(t, env, browser) })
}

// testSignIn signs in for two personas and declines, with JavaScript on and off. Each
// completed sign-in proves that the binding cookie came back with the cross-site return from
// the simulator: the bridge refuses a callback without it (see the cookie-removed case).
func testSignIn(t *testing.T, env *devmode.Env, browser context.Context) {
	tests := []struct {
		name, login, persona string
		javascript           bool
		wantVerdict          string // "" for the cancel case
	}{
		{"veteran, JavaScript on", "/login?policy=military", "veteran", true, "military: verified, Veteran"},
		{"veteran, JavaScript off", "/login?policy=military", "veteran", false, "military: verified, Veteran"},
		{"service member, JavaScript on", "/login?policy=military", "service_member", true, "military: verified, Service Member"},
		{"teacher, JavaScript off", "/login?policy=teacher", "teacher", false, "teacher: verified"},
		{"cancel, JavaScript on", "/login?policy=military", "cancel", true, ""},
		{"cancel, JavaScript off", "/login?policy=military", "cancel", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab := newTab(t, browser, tt.javascript)
			signIn(t, tab, env, tt.login, tt.persona, tt.javascript)
			if tt.wantVerdict == "" {
				step(t, tab, "the error page", chromedp.WaitVisible(chromedp.CSS(".bad code")))
				if got := text(t, tab, ".bad"); !strings.Contains(got, "error: access_denied") {
					t.Fatalf("cancel ended on %q", got)
				}
				return
			}
			step(t, tab, "the result page", chromedp.WaitVisible(chromedp.CSS("#verdict")))
			if got := text(t, tab, "#verdict"); !strings.Contains(got, tt.wantVerdict) {
				t.Fatalf("verdict %q, want %q", got, tt.wantVerdict)
			}
		})
	}

	// The control: without the cookie at the return, the bridge refuses the sign-in, so the
	// sign-ins above did carry it across sites.
	t.Run("binding cookie removed at the simulator", func(t *testing.T) {
		tab := newTab(t, browser, true)
		step(t, tab, "open the demo",
			chromedp.Navigate(env.RPURL+"/"),
			chromedp.Click(chromedp.CSS(`a[href="`+env.RPURL+`/login?policy=military"]`)),
			chromedp.WaitVisible(chromedp.CSS(`a[href*="persona=veteran"]`)),
		)
		for _, c := range requireBindingCookie(t, tab, env) {
			step(t, tab, "delete "+c.Name, chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
				_, err := cdpCall(ctx, target, network.DeleteCookies, network.DeleteCookiesParams{Name: c.Name, URL: env.BridgeURL + "/"})
				return err
			}))
		}
		step(t, tab, "pick veteran", chromedp.Click(chromedp.CSS(`a[href*="persona=veteran"]`)), chromedp.WaitVisible(chromedp.CSS(".bad")))
		got := text(t, tab, "body")
		if strings.Contains(got, "Sign-in result") || !strings.Contains(got, "error: access_denied") {
			t.Fatalf("without the cookie the sign-in ended on:\n%s", got)
		}
	})
}
