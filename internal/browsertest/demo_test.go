package browsertest

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"idmebridge/internal/devmode"
)

// testDemo clicks through the demo for a verified and a not-verified persona: the verdict,
// the B2C-claims table after the policy's OutputClaims, the verify journey's step, and
// sign-out through the bridge (and the simulator) back to the demo.
func testDemo(t *testing.T, env *devmode.Env, browser context.Context) {
	groups := "/login?" + url.Values{"policy": {"military student"}}.Encode()
	tests := []struct {
		name, login, persona string
		wantVerdict          []string
		wantB2C              []string // rows of the B2C-claims table
		notVerified          bool
	}{
		{"verified veteran", "/login?policy=military", "veteran",
			[]string{"military: verified, Veteran"},
			[]string{"idmeMilitaryVerified\tidme_military_verified\ttrue", "givenName\tgiven_name\tVera", "idmeMilitaryBranch\tidme_military_branch\tArmy"},
			false},
		{"student, not verified as military (groups flow)", groups, "student",
			[]string{"military: not verified", "student: verified"},
			[]string{"idmeMilitaryVerified\tidme_military_verified\tfalse", "idmeStudentVerified\tidme_student_verified\ttrue", "givenName\tgiven_name\tStella"},
			true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab := newTab(t, browser, true)
			signIn(t, tab, env, tt.login, tt.persona, true)
			step(t, tab, "the result page", chromedp.WaitVisible(chromedp.CSS("#verdict")))
			fitsPhone(t, tab, "the result page")
			verdict := text(t, tab, "#verdict")
			for _, w := range tt.wantVerdict {
				if !strings.Contains(verdict, w) {
					t.Errorf("verdict %q lacks %q", verdict, w)
				}
			}
			table := text(t, tab, "#b2c-claims")
			for _, w := range tt.wantB2C {
				if !strings.Contains(table, w) {
					t.Errorf("B2C claims lack the row %q:\n%s", w, table)
				}
			}
			if token, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.getElementById("id-token").value`)); err != nil || strings.Count(token, ".") != 2 {
				t.Errorf("raw id_token %q is not a compact JWS (%v)", token, err)
			}

			if tt.notVerified {
				step(t, tab, "open the verify step",
					chromedp.Click(chromedp.CSS(`a[href="`+env.RPURL+`/verify"]`)),
					chromedp.WaitVisible(chromedp.CSS("#verify-message")),
				)
				fitsPhone(t, tab, "the verify step")
				if got := text(t, tab, "h1") + " " + text(t, tab, "#verify-message"); !strings.Contains(got, "Military verification required") || !strings.Contains(got, "could not confirm") {
					t.Errorf("verify step shows %q", got)
				}
				return
			}
			step(t, tab, "sign out",
				chromedp.Click(chromedp.CSS("#sign-out")),
				chromedp.WaitVisible(chromedp.CSS("p.verdict")),
			)
			if got := text(t, tab, "p.verdict"); !strings.Contains(got, "Signed out") {
				t.Fatalf("after sign-out: %q", got)
			}
			fitsPhone(t, tab, "the start page")
		})
	}

	t.Run("stopped at ID.me without military verification", func(t *testing.T) {
		tab := newTab(t, browser, false)
		step(t, tab, "start the verify journey",
			chromedp.Navigate(env.RPURL+"/"),
			chromedp.Click(chromedp.CSS(`a[href="`+env.RPURL+`/login?journey=verify"]`)),
			chromedp.WaitVisible(chromedp.CSS(`a[href*="persona=unverified"]`)),
			chromedp.Click(chromedp.CSS(`a[href*="persona=unverified"]`)),
			chromedp.WaitVisible(chromedp.CSS(`a[href*="persona=cancel"]`)),
		)
		fitsPhone(t, tab, "the simulator's verification step")
		if got := text(t, tab, "body"); !strings.Contains(got, "Verification needed") || !strings.Contains(got, "support hotline") {
			t.Fatalf("the simulator let an unverified persona on: %q", got)
		}
		step(t, tab, "decline",
			chromedp.Click(chromedp.CSS(`a[href*="persona=cancel"]`)),
			chromedp.WaitVisible(chromedp.CSS(`form button[type="submit"]`)),
			chromedp.Click(chromedp.CSS(`form button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(".bad code")),
		)
		if got := text(t, tab, ".bad"); !strings.Contains(got, "error: access_denied") {
			t.Fatalf("declining ended on %q", got)
		}
	})
}
