package demorp

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

const testBaseURL = "http://127.0.0.1:7073"

var testChoices = []string{"military", "student", "http://idmanagement.gov/ns/assurance/ial/2/aal/2"}

// harness is one RP signing in against one fake OP. The RP is driven in-process through
// ServeHTTP; the OP is a loopback httptest server the RP calls.
type harness struct {
	t     *testing.T
	op    *fakeOP
	rp    *RP
	clock *testClock
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	clock := &testClock{now: time.Now().Truncate(time.Second)}
	op := newFakeOP(t, clock)
	rp, err := New(Options{
		BaseURL:      testBaseURL,
		Issuer:       op.issuer,
		ClientID:     testClientID,
		ClientSecret: testSecret,
		Choices:      testChoices,
		HTTPClient:   op.srv.Client(),
		Now:          clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, op: op, rp: rp, clock: clock}
}

func (h *harness) get(target string) *httptest.ResponseRecorder {
	h.t.Helper()
	rec := httptest.NewRecorder()
	h.rp.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, testBaseURL+target, nil))
	return rec
}

// postAnswer delivers a form_post answer to the redirect URI, as the browser would.
func (h *harness) postAnswer(form url.Values) *httptest.ResponseRecorder {
	h.t.Helper()
	req := httptest.NewRequest(http.MethodPost, testBaseURL+RedirectPath(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.rp.ServeHTTP(rec, req)
	return rec
}

// startLogin clicks a sign-in button and returns where the browser is sent.
func (h *harness) startLogin(policy string) string {
	h.t.Helper()
	target := "/login"
	if policy != "" {
		target += "?" + url.Values{"policy": {policy}}.Encode()
	}
	rec := h.get(target)
	if rec.Code != http.StatusFound {
		h.t.Fatalf("GET %s: status %d, body %s", target, rec.Code, rec.Body)
	}
	return rec.Header().Get("Location")
}

// answerFor starts a sign-in, lets the fake OP issue a code, and returns the answer the bridge
// would post back.
func (h *harness) answerFor(policy string) url.Values {
	h.t.Helper()
	state, code := h.op.issueCode(h.startLogin(policy))
	return url.Values{"code": {code}, "state": {state}, "iss": {h.op.issuer}}
}
