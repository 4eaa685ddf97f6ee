package b2cgraph

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestGetPolicy(t *testing.T) {
	const path = "/beta/trustFramework/policies/B2C_1A_X/$value"
	// Shape: Microsoft Graph beta "Get trustFrameworkPolicy" (api-reference/beta/api/
	// trustframeworkpolicy-get.md): 200 with the policy's XML, "the response content type will
	// be application/xml".
	const doc = `<TrustFrameworkPolicy PolicyId="B2C_1A_X"/>`
	tests := []struct {
		name    string
		handler func(http.ResponseWriter, string)
		want    string
		notFnd  bool
		wantErr string
	}{
		{"found", func(w http.ResponseWriter, _ string) {
			w.Header().Set("Content-Type", "application/xml")
			_, _ = w.Write([]byte(doc))
		}, doc, false, ""},
		{"missing", nil, "", true, "HTTP 404"},
		{"no permission", reply(http.StatusForbidden, `{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation."}}`),
			"", false, "Policy.ReadWrite.TrustFramework"},
		{"oversized", func(w http.ResponseWriter, _ string) {
			_, _ = w.Write([]byte(strings.Repeat("x", maxPolicy+1)))
		}, "", false, "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, c, _ := newFakeGraph(t)
			if tt.handler != nil {
				g.on("GET "+path, tt.handler)
			}
			got, err := c.GetPolicy(context.Background(), "B2C_1A_X")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				if errors.Is(err, ErrNotFound) != tt.notFnd {
					t.Errorf("errors.Is(err, ErrNotFound) = %v", !tt.notFnd)
				}
				if got != nil {
					t.Errorf("returned %d bytes with an error", len(got))
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("GetPolicy = %q, %v", got, err)
			}
			if s := g.seen[0]; s.Method != "GET" || s.Path != path || s.Auth != "Bearer "+testToken {
				t.Errorf("request = %+v", s)
			}
		})
	}
}

func TestGetActiveKey(t *testing.T) {
	g, c, _ := newFakeGraph(t)
	// Shape: "trustFrameworkKeySet: getActiveKey" (api-reference/beta/api/
	// trustframeworkkeyset-getactivekey.md) answers a trustFrameworkKey; its example carries
	// "k", which the client must not keep.
	g.on("GET /beta/trustFramework/keySets/B2C_1A_S/getActiveKey",
		reply(http.StatusOK, `{"k":"k-value","kid":"kid-1","use":"sig","kty":"oct","exp":1900000000,"status":"enabled"}`))
	k, err := c.GetActiveKey(context.Background(), "S")
	if err != nil || k.KID != "kid-1" || k.Status != "enabled" {
		t.Fatalf("GetActiveKey = %+v, %v", k, err)
	}
	b, _ := json.Marshal(k)
	if strings.Contains(string(b), "k-value") {
		t.Errorf("the key's secret was kept: %s", b)
	}
	if exp, ok := k.Expires(); !ok || !exp.Equal(time.Unix(1900000000, 0)) {
		t.Errorf("Expires = %v, %v", exp, ok)
	}
}

func TestKeyDates(t *testing.T) {
	for raw, want := range map[string]int64{`1508969811`: 1508969811, `"1508969811"`: 1508969811, ``: 0, `null`: 0, `"soon"`: 0, `0`: 0} {
		k := Key{NBF: json.RawMessage(raw)}
		got, ok := k.NotBefore()
		if ok != (want != 0) || (ok && got.Unix() != want) {
			t.Errorf("NotBefore(%s) = %v, %v; want %d", raw, got, ok, want)
		}
	}
}
