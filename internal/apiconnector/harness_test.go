package apiconnector

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"idmebridge/internal/config"
	"idmebridge/internal/verification"
)

// The bridge and tenants the tests play.
const (
	bridgeIssuer = "https://idme-bridge.example.com"
	subject      = "6b5a4c3d2e1f4a0b9c8d7e6f5a4b3c2d"
	clientA      = "b2c-contoso" // military, student, IAL2, login
	passA        = "contoso-connector-password"
	prevA        = "contoso-connector-old-password"
	clientB      = "b2c-fabrikam"
	passB        = "fabrikam-connector-password"
	clientStrict = "b2c-strict" // api_connector_fail_closed
	passStrict   = "strict-connector-password"
	clientPlain  = "b2c-plain" // no connector
	extraIssuer  = "https://login.idme-bridge.example.com"
	ial2         = "http://idmanagement.gov/ns/assurance/ial/2/aal/2"
)

// loadTestConfig reads the configuration through config.Load, as the bridge does.
func loadTestConfig(t testing.TB, env map[string]string) *config.Config {
	t.Helper()
	all := map[string]string{
		"BRIDGE_ISSUER":  bridgeIssuer,
		"IDME_CLIENT_ID": "idme-app",
		"BRIDGE_CLIENTS": fmt.Sprintf(`[
 {"client_id":%q,"secret_name":"a-secret","api_connector_secret_name":"a-connector","previous_api_connector_secret_name":"a-connector-old",
  "redirect_uris":["https://contoso.b2clogin.com/contoso.onmicrosoft.com/oauth2/authresp"],"idme_scopes":["military","student",%q,"login"]},
 {"client_id":%q,"secret_name":"b-secret","api_connector_secret_name":"b-connector",
  "redirect_uris":["https://fabrikam.b2clogin.com/fabrikam.onmicrosoft.com/oauth2/authresp"],"idme_scopes":["military"]},
 {"client_id":%q,"secret_name":"s-secret","api_connector_secret_name":"s-connector","api_connector_fail_closed":true,
  "redirect_uris":["https://strict.b2clogin.com/strict.onmicrosoft.com/oauth2/authresp"],"idme_scopes":["military"]},
 {"client_id":%q,"secret_name":"p-secret",
  "redirect_uris":["https://plain.b2clogin.com/plain.onmicrosoft.com/oauth2/authresp"],"idme_scopes":["military"]}]`,
			clientA, ial2, clientB, clientStrict, clientPlain),
		"BRIDGE_VERIFICATION_RECORDS":      "true",
		"B2C_API_CONNECTOR_ISSUERS":        extraIssuer,
		"AzureWebJobsStorage__accountName": "bridgestore",
		"AzureWebJobsStorage__credential":  "managedidentity",
	}
	for k, v := range env {
		all[k] = v
	}
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := all[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// passwords are the connector passwords in the secrets source.
var passwords = map[string]string{"a-connector": passA, "a-connector-old": prevA, "b-connector": passB, "s-connector": passStrict}

// fakeSecrets is a secrets source; err, when set, is what every read returns.
type fakeSecrets struct {
	values map[string]string
	err    error
}

func (s fakeSecrets) Get(_ context.Context, name string) (string, error) {
	if s.err != nil {
		return "", s.err
	}
	v, ok := s.values[name]
	if !ok {
		return "", errors.New("secret not found")
	}
	return v, nil
}

// storeFunc lets a test stand in for storage.
type storeFunc func(ctx context.Context, subject, clientID string) (*verification.Record, error)

func (f storeFunc) LatestFor(ctx context.Context, subject, clientID string) (*verification.Record, error) {
	return f(ctx, subject, clientID)
}

// memRecords keeps records as the bridge's writer stores them, read back by the real Reader.
func memRecords(t testing.TB, recs ...verification.Record) (*verification.Reader, *verification.Memory) {
	t.Helper()
	mem := verification.NewMemory()
	for _, r := range recs {
		putRecord(t, mem, r)
	}
	return verification.NewReader(mem.List, mem.Get), mem
}

func putRecord(t testing.TB, mem *verification.Memory, r verification.Record) {
	t.Helper()
	body, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := mem.Put(context.Background(), verification.Name(r), body); err != nil {
		t.Fatal(err)
	}
}

var t0 = time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)

// record is a verification of the test subject written for client.
func record(client string, at time.Duration, groups, subgroups []string) verification.Record {
	claims := map[string]any{"sub": subject, "email": "vera@example.com"}
	for _, g := range groups {
		claims["idme_"+g+"_verified"] = true
	}
	return verification.Record{IDmeUUID: subject, ClientID: client, VerifiedAt: t0.Add(at), Groups: groups, Subgroups: subgroups, Claims: claims}
}

// logBuffer collects the connector's JSON log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// newConnector builds a connector over records (nil: none) and secrets.
func newConnector(t testing.TB, cfg *config.Config, records Records, secrets Secrets) (*Connector, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	if records == nil {
		records, _ = memRecords(t)
	}
	if secrets == nil {
		secrets = fakeSecrets{values: passwords}
	}
	c, err := New(Options{Config: cfg.APIConnector, Clients: cfg.Clients, Secrets: secrets, Records: records,
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:    func() time.Time { return t0.Add(time.Second) }})
	if err != nil {
		t.Fatal(err)
	}
	return c, logs
}

// call is one request as B2C sends it: a JSON POST with Basic credentials.
type call struct {
	method      string // default POST
	user, pass  string // Basic credentials; user "" sends none
	contentType string // default application/json
	body        string
}

// answer is what the connector returned.
type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (c call) send(h http.Handler) answer {
	method := c.method
	if method == "" {
		method = http.MethodPost
	}
	r := httptest.NewRequest(method, Path, strings.NewReader(c.body))
	ct := c.contentType
	if ct == "" {
		ct = "application/json"
	}
	r.Header.Set("Content-Type", ct)
	if c.user != "" {
		r.SetBasicAuth(c.user, c.pass)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	a := answer{status: w.Code, header: w.Header(), raw: w.Body.String()}
	_ = json.Unmarshal(w.Body.Bytes(), &a.body)
	return a
}

// claims are the answer's claims: everything but version and action.
func (a answer) claims() map[string]any {
	out := map[string]any{}
	for k, v := range a.body {
		if k != "version" && k != "action" {
			out[k] = v
		}
	}
	return out
}

// hasExtensionClaims reports whether the answer carries any custom attribute.
func (a answer) hasExtensionClaims() bool {
	for k := range a.body {
		if strings.HasPrefix(k, "extension_") {
			return true
		}
	}
	return false
}

// isContinue reports a continuation response: HTTP 200, version 1.0.0, action Continue.
func (a answer) isContinue() bool {
	return a.status == http.StatusOK && a.body["version"] == "1.0.0" && a.body["action"] == "Continue"
}

// userWith is a request naming the user's identities, in the shape of Microsoft's sample.
func userWith(ids ...identity) string {
	body := map[string]any{"email": "vera@example.com", "displayName": "Vera Veteran", "objectId": "ab3ec3b2-a435-45e4-b93a-56a005e88bb7",
		"client_id": "231c70e8-8424-48ac-9b5d-5623b9e4ccf3", "step": "PreTokenIssuance", "ui_locales": "en-US"}
	if ids != nil {
		body["identities"] = ids
	}
	b, _ := json.Marshal(body)
	return string(b)
}

func idmeIdentity(issuer string) identity {
	return identity{SignInType: "federated", Issuer: issuer, IssuerAssignedID: subject}
}
