package entrauser_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"

	"idmebridge/internal/entrauser"
	"idmebridge/internal/entrauser/graphfake"
)

const (
	bridgeIssuer = "https://bridge.example.com"
	userID       = "90847c2a-e29d-4d2f-9f54-c5b4d3f26471"
)

func directory(t *testing.T, g *graphfake.Graph) *entrauser.Directory {
	t.Helper()
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	d, err := entrauser.New(entrauser.Options{GraphURL: srv.URL, Credential: &fake.TokenCredential{}, Issuer: bridgeIssuer, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestFederatedSubject(t *testing.T) {
	local := entrauser.Identity{SignInType: "emailAddress", Issuer: "contoso.onmicrosoft.com", IssuerAssignedID: "vera@example.com"}
	other := entrauser.Identity{SignInType: "federated", Issuer: "google.com", IssuerAssignedID: "google-sub"}
	tests := []struct {
		name       string
		identities []entrauser.Identity
		want       string
		wantErr    error
	}{
		{"issuer URL", []entrauser.Identity{local, other, {SignInType: "federated", Issuer: bridgeIssuer, IssuerAssignedID: "idme-uuid"}}, "idme-uuid", nil},
		{"issuer with slash", []entrauser.Identity{{SignInType: "federated", Issuer: bridgeIssuer + "/", IssuerAssignedID: "idme-uuid"}}, "idme-uuid", nil},
		{"issuer host", []entrauser.Identity{{SignInType: "federated", Issuer: "BRIDGE.example.com", IssuerAssignedID: "idme-uuid"}}, "idme-uuid", nil},
		{"another provider only", []entrauser.Identity{local, other}, "", entrauser.ErrNoFederatedIdentity},
		{"bridge issuer but not federated", []entrauser.Identity{{SignInType: "emailAddress", Issuer: bridgeIssuer, IssuerAssignedID: "x"}}, "", entrauser.ErrNoFederatedIdentity},
		{"look-alike issuer", []entrauser.Identity{{SignInType: "federated", Issuer: "https://bridge.example.com.evil.test", IssuerAssignedID: "x"}}, "", entrauser.ErrNoFederatedIdentity},
		{"no identities", nil, "", entrauser.ErrNoFederatedIdentity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := graphfake.New()
			g.AddUser(userID, tt.identities...)
			got, err := directory(t, g).FederatedSubject(context.Background(), userID)
			if got != tt.want || !errors.Is(err, tt.wantErr) {
				t.Fatalf("FederatedSubject = %q, %v; want %q, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// TestNoBridgeIdentityNamesTheIssuersFound: the reason says which issuers the user's federated
// identities carry, so a spelling External ID stores for the bridge can be set as
// EXTERNALID_IDENTITY_ISSUER; it names no identifier of the user.
func TestNoBridgeIdentityNamesTheIssuersFound(t *testing.T) {
	g := graphfake.New()
	g.AddUser(userID, entrauser.Identity{SignInType: "federated", Issuer: "bridge-idp.ciamlogin.com", IssuerAssignedID: "idme-uuid"},
		entrauser.Identity{SignInType: "emailAddress", Issuer: "contoso.onmicrosoft.com", IssuerAssignedID: "vera@example.com"})
	_, err := directory(t, g).FederatedSubject(context.Background(), userID)
	if !errors.Is(err, entrauser.ErrNoFederatedIdentity) {
		t.Fatalf("err = %v", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, `"bridge-idp.ciamlogin.com"`) || strings.Contains(msg, "idme-uuid") || strings.Contains(msg, "vera@") {
		t.Errorf("reason %q: want the federated issuer named and no identifier of the user", msg)
	}
}

func TestFederatedSubjectUnknownUser(t *testing.T) {
	g := graphfake.New()
	d := directory(t, g)
	if _, err := d.FederatedSubject(context.Background(), userID); !errors.Is(err, entrauser.ErrNoUser) {
		t.Errorf("unknown user: err = %v, want ErrNoUser", err)
	}
	// An id that is not an object id never reaches Graph's URL.
	for _, id := range []string{"../me", "", "me", userID + "/manager"} {
		if _, err := d.FederatedSubject(context.Background(), id); !errors.Is(err, entrauser.ErrNoUser) {
			t.Errorf("FederatedSubject(%q) err = %v, want ErrNoUser", id, err)
		}
	}
	if n := g.Calls(); n != 1 {
		t.Errorf("Graph called %d times, want once (for the well-formed id)", n)
	}
}

func TestFederatedSubjectTokenFailure(t *testing.T) {
	srv := httptest.NewServer(graphfake.New())
	defer srv.Close()
	cred := &fake.TokenCredential{}
	cred.SetError(errors.New("no managed identity"))
	d, _ := entrauser.New(entrauser.Options{GraphURL: srv.URL, Credential: cred, Issuer: bridgeIssuer})
	if _, err := d.FederatedSubject(context.Background(), userID); err == nil {
		t.Fatal("no error without a Graph token")
	}
}

// TestSlowGraphErrorNamesNoUser: a Graph call that times out is reported without the URL,
// which carries the user's id.
func TestSlowGraphErrorNamesNoUser(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	d, err := entrauser.New(entrauser.Options{GraphURL: srv.URL, Credential: &fake.TokenCredential{}, Issuer: bridgeIssuer, Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.FederatedSubject(context.Background(), userID)
	if err == nil || strings.Contains(err.Error(), userID) {
		t.Errorf("err = %v: want an error that does not name the user", err)
	}
}
