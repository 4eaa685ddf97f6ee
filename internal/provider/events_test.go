package provider

import (
	"bytes"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"idmebridge/internal/config"
	"idmebridge/internal/outcome"
	"idmebridge/internal/outcome/outcometest"
	"idmebridge/internal/upstream"
)

// logTo makes the provider log its lines into a buffer the test reads.
func (e *env) logTo() *bytes.Buffer {
	var buf bytes.Buffer
	e.p.log = slog.New(slog.NewJSONHandler(&buf, nil))
	return &buf
}

// events returns the outcome events named name in buf, each checked against its documented
// shape.
func events(t *testing.T, buf *bytes.Buffer, name string) []outcometest.Event {
	t.Helper()
	all, err := outcometest.Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	var out []outcometest.Event
	for _, e := range all {
		for _, p := range outcometest.Check(e) {
			t.Errorf("%s\nin %v", p, e)
		}
		if e[outcome.FieldEvent] == name {
			out = append(out, e)
		}
	}
	return out
}

// TestSignInEvents provokes every outcome of the callback and checks its one outcome event.
func TestSignInEvents(t *testing.T) {
	tests := []struct {
		name string
		// run makes the callback end the way the row says; scope is the authorize request's.
		run         func(e *env, s started) answer
		scope       string
		outcome     string
		errCode     string
		communities string
		policies    string
		status      int
		tokenMs     int
	}{
		{name: "verified", outcome: outcome.Verified, communities: "military", policies: "military"},
		{name: "verified for two", scope: "openid military student", outcome: outcome.Verified, communities: "military student", policies: "military student",
			run: func(e *env, s started) answer {
				e.up.identity.Groups = append(e.up.identity.Groups, upstream.Group{Name: "student", Verified: true})
				return e.callback(s, nil)
			}},
		{name: "not verified", outcome: outcome.NotVerified, policies: "military",
			run: func(e *env, s started) answer {
				e.up.identity.Groups = []upstream.Group{{Name: "military", Verified: false}}
				return e.callback(s, nil)
			}},
		{name: "declined at ID.me", outcome: outcome.DeclinedAtIDme, errCode: "access_denied", policies: "military",
			run: func(e *env, s started) answer {
				return e.callback(s, url.Values{"code": nil, "error": {"access_denied"}})
			}},
		{name: "ID.me error", outcome: outcome.IDmeError, errCode: "temporarily_unavailable", policies: "military", status: 502, tokenMs: 7,
			run: func(e *env, s started) answer {
				e.up.err = &upstream.Error{Code: "temporarily_unavailable", Status: 502, Timing: upstream.Timing{Token: 7 * time.Millisecond}}
				return e.callback(s, nil)
			}},
		{name: "ID.me timeout", outcome: outcome.IDmeTimeout, errCode: "temporarily_unavailable", policies: "military",
			run: func(e *env, s started) answer {
				e.up.err = &upstream.Error{Code: "temporarily_unavailable", Kind: upstream.KindTimeout}
				return e.callback(s, nil)
			}},
		{name: "ID.me named no user", outcome: outcome.IDmeError, errCode: "server_error", policies: "military",
			run: func(e *env, s started) answer {
				e.up.identity.Subject = ""
				return e.callback(s, nil)
			}},
		{name: "state ledger down", outcome: outcome.StorageError, errCode: "temporarily_unavailable", policies: "military",
			run: func(e *env, s started) answer {
				e.st.failCreate.Store(true)
				return e.callback(s, nil)
			}},
		{name: "replayed callback", outcome: outcome.InvalidRequest, errCode: "access_denied", policies: "military",
			run: func(e *env, s started) answer {
				e.callback(s, nil)
				return e.callback(s, nil)
			}},
		{name: "another browser", outcome: outcome.InvalidRequest, errCode: "access_denied", policies: "military",
			run: func(e *env, s started) answer {
				s.cookie = nil
				return e.callback(s, nil)
			}},
		{name: "expired state", outcome: outcome.InvalidRequest, errCode: "access_denied", policies: "military",
			run: func(e *env, s started) answer {
				e.advance(time.Hour)
				return e.callback(s, nil)
			}},
		{name: "forged state", outcome: outcome.InvalidRequest, errCode: "invalid_request",
			run: func(e *env, s started) answer {
				s.state = "x" + s.state
				return e.callback(s, nil)
			}},
		{name: "no state", outcome: outcome.InvalidRequest, errCode: "invalid_request",
			run: func(e *env, s started) answer {
				return toRP(e.do("GET", issuer+PathCallback+"?error=access_denied", nil, s.cookie))
			}},
		{name: "client removed", outcome: outcome.InvalidRequest, errCode: "invalid_client",
			run: func(e *env, s started) answer {
				e.cfg.Clients = slices.DeleteFunc(e.cfg.Clients, func(c config.Client) bool { return c.ID == rpID })
				return e.callback(s, nil)
			}},
		{name: "state key unavailable", outcome: outcome.ServerError, errCode: "temporarily_unavailable",
			run: func(e *env, s started) answer {
				delete(e.secrets, "state-key")
				return e.callback(s, nil)
			}},
		{name: "bridge side of the ID.me leg", outcome: outcome.ServerError, errCode: "server_error", policies: "military",
			run: func(e *env, s started) answer {
				e.up.err = &upstream.Error{Code: "server_error", Kind: upstream.KindBridge}
				return e.callback(s, nil)
			}},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			buf := e.logTo()
			params := authzParams(rpID, rpRedirect)
			if tt.scope != "" {
				params.Set("scope", tt.scope)
			}
			s := e.authorize(params)
			run := tt.run
			if run == nil {
				run = func(e *env, s started) answer { return e.callback(s, nil) }
			}
			a := run(e, s)
			if got := a.params.Get("error"); !a.page && got != tt.errCode {
				t.Errorf("the relying party got error %q, want %q", got, tt.errCode)
			}
			evs := events(t, buf, outcome.SignIn)
			if len(evs) == 0 {
				t.Fatalf("no %s event:\n%s", outcome.SignIn, buf)
			}
			ev := evs[len(evs)-1]
			wantClient := rpID
			if tt.policies == "" && tt.outcome != outcome.ServerError || tt.name == "client removed" || tt.name == "state key unavailable" {
				wantClient = ""
			}
			want := outcometest.Event{
				outcome.FieldOutcome: tt.outcome, outcome.FieldError: tt.errCode, outcome.FieldCommunities: tt.communities,
				outcome.FieldPolicies: tt.policies, outcome.FieldIDmeStatus: float64(tt.status), outcome.FieldClientID: wantClient,
				outcome.FieldIDmeTokenMs: float64(tt.tokenMs),
			}
			for k, v := range want {
				if ev[k] != v {
					t.Errorf("%s = %v, want %v\n%v", k, ev[k], v, ev)
				}
			}
			seen[tt.outcome] = true
			if strings.Contains(buf.String(), "Lovelace") || strings.Contains(buf.String(), "ada@example.com") || strings.Contains(buf.String(), `"user-1"`) {
				t.Errorf("personal data in the log:\n%s", buf)
			}
		})
	}
	for _, o := range outcome.Outcomes()[outcome.SignIn] {
		if !seen[o] {
			t.Errorf("no row provokes outcome %s", o)
		}
	}
}

// TestSignInStartedEvent: /authorize names the client and the ID.me policies asked for (the
// client's default when none is).
func TestSignInStartedEvent(t *testing.T) {
	e := newEnv(t)
	buf := e.logTo()
	e.authorize(authzParams(rpID, rpRedirect))
	params := authzParams(rpID, rpRedirect)
	params.Set("scope", "openid student military")
	e.authorize(params)
	evs := events(t, buf, outcome.SignInStarted)
	if len(evs) != 2 || evs[0][outcome.FieldPolicies] != "military" || evs[1][outcome.FieldPolicies] != "student military" ||
		evs[0][outcome.FieldClientID] != rpID {
		t.Errorf("events %v, want military then student military, for %s", evs, rpID)
	}
}

// TestTokenEvents provokes every outcome of the token endpoint and checks its one event.
func TestTokenEvents(t *testing.T) {
	tests := []struct {
		name    string
		run     func(e *env, code string) tokenAnswer
		outcome string
		errCode string
		client  string
	}{
		{name: "issued", outcome: outcome.Issued, client: rpID},
		{name: "code replayed", outcome: outcome.InvalidGrant, errCode: "invalid_grant", client: rpID,
			run: func(e *env, code string) tokenAnswer {
				e.token(redeemForm(code, rpID, rpSecret, rpRedirect), "", "")
				return e.token(redeemForm(code, rpID, rpSecret, rpRedirect), "", "")
			}},
		{name: "wrong secret", outcome: outcome.InvalidClient, errCode: "invalid_client", client: rpID,
			run: func(e *env, code string) tokenAnswer {
				return e.token(redeemForm(code, rpID, "wrong", rpRedirect), "", "")
			}},
		{name: "unknown client", outcome: outcome.InvalidClient, errCode: "invalid_client",
			run: func(e *env, code string) tokenAnswer {
				return e.token(redeemForm(code, "who-knows", "wrong", rpRedirect), "", "")
			}},
		{name: "no grant_type", outcome: outcome.InvalidRequest, errCode: "invalid_request", client: rpID,
			run: func(e *env, code string) tokenAnswer {
				f := redeemForm(code, rpID, rpSecret, rpRedirect)
				f.Del("grant_type")
				return e.token(f, "", "")
			}},
		{name: "code ledger down", outcome: outcome.StorageError, errCode: "temporarily_unavailable", client: rpID,
			run: func(e *env, code string) tokenAnswer {
				e.st.failCreate.Store(true)
				return e.token(redeemForm(code, rpID, rpSecret, rpRedirect), "", "")
			}},
		{name: "signing keys down", outcome: outcome.ServerError, errCode: "temporarily_unavailable", client: rpID,
			run: func(e *env, code string) tokenAnswer {
				e.keySource.down.Store(true)
				return e.token(redeemForm(code, rpID, rpSecret, rpRedirect), "", "")
			}},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			code := e.code(authzParams(rpID, rpRedirect))
			buf := e.logTo()
			run := tt.run
			if run == nil {
				run = func(e *env, code string) tokenAnswer {
					return e.token(redeemForm(code, rpID, rpSecret, rpRedirect), "", "")
				}
			}
			if got := run(e, code).errCode(); got != tt.errCode {
				t.Errorf("error %q, want %q", got, tt.errCode)
			}
			evs := events(t, buf, outcome.Token)
			if len(evs) == 0 {
				t.Fatalf("no %s event:\n%s", outcome.Token, buf)
			}
			ev := evs[len(evs)-1]
			if ev[outcome.FieldOutcome] != tt.outcome || ev[outcome.FieldError] != tt.errCode || ev[outcome.FieldClientID] != tt.client {
				t.Errorf("event %v, want outcome %s, error %q, client %q", ev, tt.outcome, tt.errCode, tt.client)
			}
			seen[tt.outcome] = true
			if strings.Contains(buf.String(), code) || strings.Contains(buf.String(), rpSecret) {
				t.Errorf("the code or the secret in the log:\n%s", buf)
			}
		})
	}
	for _, o := range outcome.Outcomes()[outcome.Token] {
		if !seen[o] {
			t.Errorf("no row provokes outcome %s", o)
		}
	}
}
