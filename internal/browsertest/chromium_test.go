package browsertest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// chromiumPath is where Debian's chromium package installs the browser (make tools installs it).
const chromiumPath = "/usr/bin/chromium"

// Bounds: the whole browser session, and any one page step.
const (
	browserBudget = 45 * time.Second
	stepTimeout   = 10 * time.Second
	phoneWidth    = 390
	phoneHeight   = 844
)

// findChromium returns the browser, or skips loudly when it is missing (fails under CI, where
// the test command installs it).
func findChromium(t *testing.T) string {
	t.Helper()
	path := chromiumPath
	if _, err := os.Stat(path); err != nil {
		if p, lerr := exec.LookPath("chromium"); lerr == nil {
			path = p
		} else {
			msg := "BROWSER TESTS NOT RUN: Chromium is not installed (" + chromiumPath + "). Run `make tools` (apt-get install -y chromium)."
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip("\n\n*** " + msg + " ***\n")
		}
	}
	return path
}

// newBrowser starts one headless Chromium for the test, with a fresh profile, and returns its
// root context. Every flag that could make it talk to anything but loopback is off.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := findChromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), browserBudget)
	t.Cleanup(cancel)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.WindowSize(phoneWidth, phoneHeight),
		chromedp.UserDataDir(t.TempDir()),
	)
	t.Cleanup(cancelAlloc)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(browserCtx); err != nil { // starts the browser
		t.Fatalf("start Chromium: %v", err)
	}
	return browserCtx
}

// newTab opens a tab in its own browser context (its own cookie jar), on a phone-sized screen,
// with JavaScript on or off.
func newTab(t *testing.T, browser context.Context, javascript bool) context.Context {
	t.Helper()
	tab, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	err := chromedp.Do(tab,
		chromedp.EmulateViewport(phoneWidth, phoneHeight),
		chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
			_, err := cdp.Call(ctx, target, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !javascript})
			return err
		}),
	)
	if err != nil {
		t.Fatalf("open tab: %v", err)
	}
	return tab
}

// step runs actions on the tab, bounded by stepTimeout.
func step(t *testing.T, tab context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		loc, _ := chromedp.Run(tab, chromedp.Location())
		body, _ := chromedp.Run(tab, chromedp.Text(chromedp.CSS("body")))
		t.Fatalf("%s: %v\nat %s:\n%s", what, err, loc, body)
	}
}

// text returns the visible text of the first element matching the CSS selector.
func text(t *testing.T, tab context.Context, selector string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(selector)))
	if err != nil {
		t.Fatalf("text of %s: %v", selector, err)
	}
	return s
}

// fitsPhone fails when the page is wider than the phone's screen (horizontal overflow).
func fitsPhone(t *testing.T, tab context.Context, page string) {
	t.Helper()
	w, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	if err != nil {
		t.Fatalf("%s: measure width: %v", page, err)
	}
	if w > phoneWidth {
		t.Errorf("%s is %d px wide on a %d px phone", page, w, phoneWidth)
	}
}

// cdpCall sends one protocol command to the tab's target.
func cdpCall[P, R any](ctx context.Context, target *chromedp.Target, cmd cdp.Command[P, R], params P) (R, error) {
	return cdp.Call(ctx, target, cmd, params)
}
