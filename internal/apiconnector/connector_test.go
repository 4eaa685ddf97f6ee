package apiconnector

import (
	"context"
	"errors"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"idmebridge/internal/config"
	"idmebridge/internal/verification"
)

// sample reads one of Microsoft's documented requests (testdata/README.md); asIDme replaces its
// Facebook identity with the bridge's.
func sample(t *testing.T, file string, asIDme bool) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if asIDme {
		s = strings.Replace(s, `"issuer":"facebook.com"`, `"issuer":"`+bridgeIssuer+`"`, 1)
		s = strings.Replace(s, `"issuerAssignedId":"0123456789"`, `"issuerAssignedId":"`+subject+`"`, 1)
	}
	return s
}

// verifiedA are the claims client A's token gets from its record: a veteran.
var verifiedA = map[string]any{
	"extension_IdmeSubject":          subject,
	"extension_IdmeVerifiedAt":       "2026-03-01T09:30:00Z",
	"extension_IdmeGroups":           "military",
	"extension_IdmeSubgroups":        "Veteran Service_Member",
	"extension_IdmeMilitaryVerified": true,
	"extension_IdmeStudentVerified":  false,
	"extension_IdmeIdentityVerified": false,
}

func TestConnector(t *testing.T) {
	cfg := loadTestConfig(t, nil)
	records := []verification.Record{
		record(clientA, 0, []string{"military"}, []string{"Veteran", "Service Member"}),
		// newer, but written for another client: never shown to A
		record(clientB, time.Hour, []string{"student"}, nil),
	}
	tests := []struct {
		name string
		call call
		// want: the status, and the claims exactly (nil: a plain Continue).
		wantStatus int
		want       map[string]any
		wantLog    string // a line must contain it
	}{
		// Microsoft's documented requests, both spellings.
		{name: "sample client_id PreTokenIssuance, a Facebook user", call: call{user: clientA, pass: passA, body: sample(t, "pretokenissuance.json", false)},
			wantLog: `"outcome":"not_idme","reason":"no identity issued by the bridge; the user's: federated:facebook.com"`},
		{name: "sample clientId PreTokenApplicationClaims, a Facebook user", call: call{user: clientA, pass: passA, body: sample(t, "pretokenapplicationclaims.json", false)},
			wantLog: `"outcome":"not_idme"`},
		{name: "sample client_id PreTokenIssuance, an ID.me user", call: call{user: clientA, pass: passA, body: sample(t, "pretokenissuance.json", true)}, want: verifiedA},
		{name: "sample clientId PreTokenApplicationClaims, an ID.me user", call: call{user: clientA, pass: passA, body: sample(t, "pretokenapplicationclaims.json", true)}, want: verifiedA},
		// Who the user is.
		{name: "no identities", call: call{user: clientA, pass: passA, body: userWith()}, wantLog: `"outcome":"not_idme"`},
		{name: "local account only", call: call{user: clientA, pass: passA, body: userWith(identity{SignInType: "emailAddress", Issuer: "contoso.onmicrosoft.com", IssuerAssignedID: "vera@example.com"})},
			wantLog: "the user's: emailAddress:contoso.onmicrosoft.com"},
		{name: "another provider only", call: call{user: clientA, pass: passA, body: userWith(identity{SignInType: "federated", Issuer: "google.com", IssuerAssignedID: subject})},
			wantLog: `"outcome":"not_idme"`},
		{name: "look-alike issuer", call: call{user: clientA, pass: passA, body: userWith(idmeIdentity("https://idme-bridge.example.com.evil"))}},
		{name: "look-alike host", call: call{user: clientA, pass: passA, body: userWith(idmeIdentity("idme-bridge.example.com.evil"))}},
		{name: "the bridge's issuer but not federated", call: call{user: clientA, pass: passA, body: userWith(identity{SignInType: "userName", Issuer: bridgeIssuer, IssuerAssignedID: subject})}},
		{name: "the bridge's issuer without an id", call: call{user: clientA, pass: passA, body: userWith(identity{SignInType: "federated", Issuer: bridgeIssuer})}},
		{name: "an ID.me identity without an id, then one with", call: call{user: clientA, pass: passA, body: userWith(identity{SignInType: "federated", Issuer: bridgeIssuer}, idmeIdentity(bridgeIssuer))}, want: verifiedA},
		{name: "issuer without slash", call: call{user: clientA, pass: passA, body: userWith(idmeIdentity(bridgeIssuer))}, want: verifiedA},
		{name: "issuer with slash", call: call{user: clientA, pass: passA, body: userWith(idmeIdentity(bridgeIssuer + "/"))}, want: verifiedA},
		{name: "bare host", call: call{user: clientA, pass: passA, body: userWith(idmeIdentity("idme-bridge.example.com"))}, want: verifiedA},
		{name: "host in capitals", call: call{user: clientA, pass: passA, body: userWith(idmeIdentity("HTTPS://IDME-Bridge.Example.COM"))}, want: verifiedA},
		{name: "configured extra issuer", call: call{user: clientA, pass: passA, body: userWith(idmeIdentity(extraIssuer + "/"))}, want: verifiedA},
		{name: "ID.me identity after a local one", call: call{user: clientA, pass: passA, body: userWith(identity{SignInType: "emailAddress", Issuer: "contoso.onmicrosoft.com", IssuerAssignedID: "v@example.com"}, idmeIdentity(bridgeIssuer))}, want: verifiedA},
		// Whose record.
		{name: "another client's credential asking for this client's user", call: call{user: clientStrict, pass: passStrict, body: userWith(idmeIdentity(bridgeIssuer))},
			wantLog: "no verification record for this client"},
		{name: "each client sees its own record", call: call{user: clientB, pass: passB, body: userWith(idmeIdentity(bridgeIssuer))}, want: map[string]any{
			"extension_IdmeSubject": subject, "extension_IdmeVerifiedAt": "2026-03-01T10:30:00Z", "extension_IdmeGroups": "student", "extension_IdmeMilitaryVerified": false}},
		// Credentials.
		{name: "wrong password", call: call{user: clientA, pass: "guess", body: userWith(idmeIdentity(bridgeIssuer))}, wantStatus: http.StatusUnauthorized, wantLog: "wrong password"},
		{name: "another client's password", call: call{user: clientA, pass: passB, body: userWith(idmeIdentity(bridgeIssuer))}, wantStatus: http.StatusUnauthorized},
		{name: "empty password", call: call{user: clientA, pass: "", body: userWith(idmeIdentity(bridgeIssuer))}, wantStatus: http.StatusUnauthorized},
		{name: "no credentials", call: call{body: userWith(idmeIdentity(bridgeIssuer))}, wantStatus: http.StatusUnauthorized, wantLog: "no Basic credentials"},
		{name: "a client without a connector", call: call{user: clientPlain, pass: "p-secret", body: userWith(idmeIdentity(bridgeIssuer))}, wantStatus: http.StatusUnauthorized, wantLog: "not a client with an API connector"},
		{name: "unknown user", call: call{user: "nobody", pass: passA, body: userWith(idmeIdentity(bridgeIssuer))}, wantStatus: http.StatusUnauthorized},
		{name: "previous password during a rotation", call: call{user: clientA, pass: prevA, body: userWith(idmeIdentity(bridgeIssuer))}, want: verifiedA},
		// Input.
		{name: "GET", call: call{method: http.MethodGet, user: clientA, pass: passA}, wantStatus: http.StatusMethodNotAllowed},
		{name: "not JSON", call: call{user: clientA, pass: passA, contentType: "text/plain", body: userWith(idmeIdentity(bridgeIssuer))}, wantLog: "application/json"},
		{name: "broken JSON", call: call{user: clientA, pass: passA, body: `{"identities":[`}, wantLog: "not a JSON object"},
		{name: "body over 64 KiB", call: call{user: clientA, pass: passA, body: strings.Replace(userWith(idmeIdentity(bridgeIssuer)), `"email"`, `"pad":"`+strings.Repeat("x", maxRequestBytes)+`","email"`, 1)},
			wantLog: "64 KiB"},
		{name: "too many identities", call: call{user: clientA, pass: passA, body: userWith(append(make([]identity, maxIdentities), idmeIdentity(bridgeIssuer))...)}, wantLog: "too many identities"},
		{name: "another step", call: call{user: clientA, pass: passA, body: strings.Replace(userWith(idmeIdentity(bridgeIssuer)), "PreTokenIssuance", "PostAttributeCollection", 1)},
			wantLog: "another step"},
		{name: "no step", call: call{user: clientA, pass: passA, body: strings.Replace(userWith(idmeIdentity(bridgeIssuer)), `"step":"PreTokenIssuance",`, "", 1)}, want: verifiedA},
		{name: "fail-closed client, unreadable request", call: call{user: clientStrict, pass: passStrict, contentType: "text/plain", body: "x"}, wantStatus: http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reader, _ := memRecords(t, records...)
			c, logs := newConnector(t, cfg, reader, nil)
			got := tt.call.send(c)
			wantStatus := tt.wantStatus
			if wantStatus == 0 {
				wantStatus = http.StatusOK
			}
			if got.status != wantStatus {
				t.Fatalf("status %d, want %d: %s\nlog: %s", got.status, wantStatus, got.raw, logs)
			}
			switch wantStatus {
			case http.StatusOK:
				if !got.isContinue() {
					t.Fatalf("not a continuation response: %s", got.raw)
				}
				assertClaims(t, got.claims(), tt.want)
			case http.StatusUnauthorized:
				if h := got.header.Get("WWW-Authenticate"); h != `Basic realm="idme-bridge"` {
					t.Errorf("WWW-Authenticate = %q", h)
				}
			case http.StatusMethodNotAllowed:
				if got.header.Get("Allow") != http.MethodPost {
					t.Errorf("Allow = %q", got.header.Get("Allow"))
				}
			}
			if got.status != http.StatusOK && got.hasExtensionClaims() {
				t.Errorf("claims in a refusal: %s", got.raw)
			}
			if tt.wantLog != "" && !strings.Contains(logs.String(), tt.wantLog) {
				t.Errorf("log lacks %q:\n%s", tt.wantLog, logs)
			}
			for _, secret := range []string{passA, prevA, passB, passStrict, "guess"} {
				if strings.Contains(logs.String(), secret) {
					t.Errorf("the log holds a password:\n%s", logs)
				}
			}
			if strings.Contains(logs.String(), subject) {
				t.Errorf("the log holds the ID.me uuid:\n%s", logs)
			}
		})
	}
}

// assertClaims compares the answer's claims with want exactly (nil: none).
func assertClaims(t *testing.T, got, want map[string]any) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("claims = %v\nwant %v", got, want)
		return
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %#v, want %#v", k, got[k], v)
		}
	}
	if _, ok := got["email"]; ok {
		t.Error("the answer sets email, which B2C does not let an API overwrite")
	}
}

// TestFailures: when the bridge cannot find out, the answer is Continue without claims and a
// logged reason, or, for a client that fails closed, an error.
func TestFailures(t *testing.T) {
	cfg := loadTestConfig(t, nil)
	good := record(clientA, 0, []string{"military"}, nil)
	tests := []struct {
		name    string
		store   storeFunc
		secrets Secrets
		wantLog string
	}{
		{name: "storage down", store: func(context.Context, string, string) (*verification.Record, error) {
			return nil, errors.New("connection refused")
		}, wantLog: "connection refused"},
		{name: "secrets not loaded", secrets: fakeSecrets{err: errors.New("secret not loaded")}, wantLog: "password is unavailable"},
		{name: "record without a time", store: func(_ context.Context, _, client string) (*verification.Record, error) {
			r := record(client, 0, []string{"military"}, nil)
			r.VerifiedAt = time.Time{}
			return &r, nil
		}, wantLog: "no verification time"},
		{name: "record of another subject", store: func(_ context.Context, _, client string) (*verification.Record, error) {
			r := record(client, 0, []string{"military"}, nil)
			r.IDmeUUID = "someone-else"
			return &r, nil
		}, wantLog: "another subject"},
		{name: "record of another client", store: func(context.Context, string, string) (*verification.Record, error) {
			r := record(clientB, 0, []string{"military"}, nil)
			return &r, nil
		}, wantLog: "written for another client"},
	}
	for _, tt := range tests {
		for _, who := range []struct{ user, pass string }{{clientA, passA}, {clientStrict, passStrict}} {
			t.Run(tt.name+"/"+who.user, func(t *testing.T) {
				var records Records = tt.store
				if tt.store == nil {
					records, _ = memRecords(t, good, record(clientStrict, 0, []string{"military"}, nil))
				}
				c, logs := newConnector(t, cfg, records, tt.secrets)
				got := call{user: who.user, pass: who.pass, body: userWith(idmeIdentity(bridgeIssuer))}.send(c)
				if who.user == clientStrict {
					if got.status != http.StatusInternalServerError || got.body["version"] != "1.0.0" || got.body["userMessage"] == nil || got.hasExtensionClaims() {
						t.Fatalf("fail-closed answer %d %s", got.status, got.raw)
					}
				} else if !got.isContinue() || len(got.claims()) != 0 {
					t.Fatalf("answer %d %s, want a plain Continue", got.status, got.raw)
				}
				if !strings.Contains(logs.String(), tt.wantLog) || !strings.Contains(logs.String(), `"level":"ERROR"`) {
					t.Errorf("log lacks an error naming %q:\n%s", tt.wantLog, logs)
				}
			})
		}
	}
}

// TestSlowStorageAnswersWithinBudget: storage that does not answer (nor heed its context) still
// gets a Continue within the budget and a small margin.
func TestSlowStorageAnswersWithinBudget(t *testing.T) {
	const budget = 300 * time.Millisecond
	cfg := loadTestConfig(t, map[string]string{"B2C_API_CONNECTOR_BUDGET": budget.String()})
	release := make(chan struct{})
	defer close(release)
	// It answers, late, after three budgets, so that a connector waiting for it fails this test
	// rather than hang it.
	hang := storeFunc(func(context.Context, string, string) (*verification.Record, error) {
		select {
		case <-release:
		case <-time.After(3 * budget):
		}
		return nil, errors.New("late")
	})
	for _, who := range []struct{ user, pass string }{{clientA, passA}, {clientStrict, passStrict}} {
		c, logs := newConnector(t, cfg, hang, nil)
		start := time.Now()
		got := call{user: who.user, pass: who.pass, body: userWith(idmeIdentity(bridgeIssuer))}.send(c)
		elapsed := time.Since(start)
		if elapsed > budget+100*time.Millisecond {
			t.Errorf("%s: answered after %s, budget %s", who.user, elapsed, budget)
		}
		wantStatus := http.StatusOK
		if who.user == clientStrict {
			wantStatus = http.StatusInternalServerError
		}
		if got.status != wantStatus || (wantStatus == http.StatusOK && (!got.isContinue() || len(got.claims()) != 0)) {
			t.Errorf("%s: answer %d %s", who.user, got.status, got.raw)
		}
		if !strings.Contains(logs.String(), "deadline exceeded") {
			t.Errorf("%s: log lacks the reason:\n%s", who.user, logs)
		}
	}
}

// TestRecordWrittenAMomentLater: this sign-in's record, written just after B2C's call, is the
// one answered: when the user has no record yet (a sign-up), and when an earlier sign-in left
// an older one.
func TestRecordWrittenAMomentLater(t *testing.T) {
	for _, tt := range []struct {
		name    string
		earlier []verification.Record
	}{
		{"first record", nil},
		{"newer than an earlier sign-in's", []verification.Record{record(clientA, -time.Hour, nil, nil)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := loadTestConfig(t, nil)
			reader, mem := memRecords(t, tt.earlier...)
			c, _ := newConnector(t, cfg, reader, nil)
			go func() {
				time.Sleep(recordRetryPause / 3)
				putRecord(t, mem, record(clientA, 0, []string{"military"}, []string{"Veteran", "Service Member"}))
			}()
			got := call{user: clientA, pass: passA, body: userWith(idmeIdentity(bridgeIssuer))}.send(c)
			assertClaims(t, got.claims(), verifiedA)
		})
	}
}

// TestLongRecordIsCut: lists longer than B2C's 250 characters lose whole items from the end,
// and the log says which.
func TestLongRecordIsCut(t *testing.T) {
	cfg := loadTestConfig(t, nil)
	var subgroups []string
	for i := range 40 {
		subgroups = append(subgroups, "Subgroup "+string(rune('A'+i%26))+strings.Repeat("x", i%5))
	}
	reader, _ := memRecords(t, record(clientA, 0, []string{"military", "student"}, subgroups))
	c, logs := newConnector(t, cfg, reader, nil)
	got := call{user: clientA, pass: passA, body: userWith(idmeIdentity(bridgeIssuer))}.send(c)
	s, _ := got.claims()["extension_IdmeSubgroups"].(string)
	if n := len([]rune(s)); n == 0 || n > maxAttributeChars {
		t.Fatalf("subgroups are %d characters: %q", n, s)
	}
	items := strings.Split(s, " ")
	for i, it := range items {
		if want := strings.ReplaceAll(subgroups[i], " ", "_"); it != want {
			t.Fatalf("item %d = %q, want the whole item %q", i, it, want)
		}
	}
	next := strings.ReplaceAll(subgroups[len(items)], " ", "_")
	if len([]rune(s))+1+len(next) <= maxAttributeChars {
		t.Errorf("%q was left out though it fits", next)
	}
	if !strings.Contains(logs.String(), "250 characters") || !strings.Contains(logs.String(), next) {
		t.Errorf("the log does not name what was cut:\n%s", logs)
	}
	if got.claims()["extension_IdmeGroups"] != "military student" || got.claims()["extension_IdmeStudentVerified"] != true {
		t.Errorf("claims = %v", got.claims())
	}
}

// TestClaimPrefix: the names follow B2C_API_CONNECTOR_CLAIM_PREFIX.
func TestClaimPrefix(t *testing.T) {
	cfg := loadTestConfig(t, map[string]string{"B2C_API_CONNECTOR_CLAIM_PREFIX": "extension_ContosoIDme"})
	reader, _ := memRecords(t, record(clientA, 0, []string{"military"}, nil))
	c, _ := newConnector(t, cfg, reader, nil)
	got := call{user: clientA, pass: passA, body: userWith(idmeIdentity(bridgeIssuer))}.send(c)
	if got.claims()["extension_ContosoIDmeMilitaryVerified"] != true {
		t.Errorf("claims = %v", got.claims())
	}
}

// The attributes a user flow declares (Attributes, which the setup command creates) are exactly
// the claims the connector answers with, each of its data type: an undeclared claim would make
// B2C refuse the answer, a declared one never sent would stay empty.
func TestAttributesAreTheClaims(t *testing.T) {
	scopes := []string{"military", "hospital_employee", "login", "http://idmanagement.gov/ns/assurance/ial/2/aal/2"}
	rec := &verification.Record{IDmeUUID: "5f1c0c7e9a2b4d3e8f6a1b2c3d4e5f60", ClientID: "c", VerifiedAt: time.Now(),
		Groups: []string{"military"}, Subgroups: []string{"Veteran"}}
	claims, _ := claimsFor(rec, config.Client{ID: "c", IDmeScopes: scopes}, "extension_Idme")
	attrs := Attributes("extension_Idme", scopes)
	if len(attrs) != len(claims) {
		t.Errorf("%d attributes, %d claims: %v / %v", len(attrs), len(claims), attrs, claims)
	}
	for _, a := range attrs {
		v, ok := claims[a.Claim]
		if !ok {
			t.Errorf("attribute %s is never answered", a.Claim)
			continue
		}
		if _, isBool := v.(bool); isBool != (a.DataType == "boolean") {
			t.Errorf("%s is %T, declared %s", a.Claim, v, a.DataType)
		}
	}
	want := []string{"extension_IdmeGroups", "extension_IdmeSubgroups", "extension_IdmeMilitaryVerified",
		"extension_IdmeHospitalEmployeeVerified", "extension_IdmeIdentityVerified", "extension_IdmeVerifiedAt", "extension_IdmeSubject"}
	var got []string
	for _, a := range attrs {
		got = append(got, a.Claim)
	}
	if !slices.Equal(got, want) {
		t.Errorf("attributes %v, want %v", got, want)
	}
}

// joinWithin keeps the list's order and loses only its end, counting length as B2C (.NET)
// does: UTF-16 code units.
func TestJoinWithin(t *testing.T) {
	for _, tt := range []struct {
		name    string
		items   []string
		limit   int
		want    string
		wantCut []string
	}{
		{"fits", []string{"a b", "c"}, 10, "a_b c", nil},
		{"a later short item does not jump the queue", []string{"aaaa", "bbbbbb", "c"}, 8, "aaaa", []string{"bbbbbb", "c"}},
		{"exactly the limit", []string{"aaa", "bbb"}, 7, "aaa bbb", nil},
		{"emoji count twice", []string{"\U0001F396\U0001F396", "x"}, 4, "\U0001F396\U0001F396", []string{"x"}},
		{"blank items skipped", []string{" ", "a"}, 5, "a", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, cut := joinWithin(tt.items, tt.limit)
			if got != tt.want || !slices.Equal(cut, tt.wantCut) {
				t.Errorf("joinWithin(%q, %d) = %q, cut %q; want %q, cut %q", tt.items, tt.limit, got, cut, tt.want, tt.wantCut)
			}
		})
	}
}
