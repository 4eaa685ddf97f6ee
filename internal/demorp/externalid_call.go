package demorp

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"idmebridge/internal/authext/faketenant"
)

type extensionAnswer struct {
	Claims   map[string]any
	response any
}

// callExtension sends the token issuance start event for the user, as External ID does.
func (x *ExternalID) callExtension(ctx context.Context, userID string) ([]byte, extensionAnswer, time.Duration, error) {
	bearer, err := x.tenant.Sign(faketenant.Token{Audience: x.o.ExtensionAppID})
	if err != nil {
		return nil, extensionAnswer{}, 0, err
	}
	event := map[string]any{
		"type":   "microsoft.graph.authenticationEvent.tokenIssuanceStart",
		"source": "/tenants/" + x.o.TenantID + "/applications/" + externalIDApp,
		"data": map[string]any{
			"@odata.type":                     "microsoft.graph.onTokenIssuanceStartCalloutData",
			"tenantId":                        x.o.TenantID,
			"authenticationEventListenerId":   newObjectID(),
			"customAuthenticationExtensionId": newObjectID(),
			"authenticationContext": map[string]any{
				"correlationId":            newObjectID(),
				"client":                   map[string]any{"ip": "127.0.0.1", "locale": "en-us", "market": "en-us"},
				"protocol":                 "OAUTH2.0",
				"clientServicePrincipal":   map[string]any{"id": newObjectID(), "appId": externalIDApp, "appDisplayName": "Demo app", "displayName": "Demo app"},
				"resourceServicePrincipal": map[string]any{"id": newObjectID(), "appId": externalIDApp, "appDisplayName": "Demo app", "displayName": "Demo app"},
				"user":                     map[string]any{"id": userID, "userType": "Member", "createdDateTime": time.Now().UTC().Format(time.RFC3339)},
			},
		},
	}
	body, _ := json.Marshal(event)
	got, err := postJSON(ctx, x.client, x.o.ExtensionURL, "Bearer "+bearer, body)
	if err != nil {
		return nil, extensionAnswer{}, 0, fmt.Errorf("extension call: %w", err)
	}
	raw, elapsed := got.raw, got.elapsed
	if got.status != http.StatusOK {
		return nil, extensionAnswer{}, 0, fmt.Errorf("extension answered %d: %s", got.status, raw)
	}
	var answer struct {
		Data struct {
			Actions []struct {
				Claims map[string]any `json:"claims"`
			} `json:"actions"`
		} `json:"data"`
	}
	var generic any
	if err := json.Unmarshal(raw, &answer); err != nil || json.Unmarshal(raw, &generic) != nil || len(answer.Data.Actions) != 1 {
		return nil, extensionAnswer{}, 0, fmt.Errorf("extension answer not understood: %s", raw)
	}
	return body, extensionAnswer{Claims: answer.Data.Actions[0].Claims, response: generic}, elapsed, nil
}

// mappingPolicy is the claims-mapping policy that puts these claims into the token.
func mappingPolicy(claims map[string]any) string {
	var schema []map[string]string
	for _, name := range claimNames(claims) {
		schema = append(schema, map[string]string{"Source": "CustomClaimsProvider", "ID": name, "JwtClaimType": name})
	}
	return pretty(map[string]any{"ClaimsMappingPolicy": map[string]any{"Version": 1, "IncludeBasicClaimSet": "true", "ClaimsSchema": schema}})
}

// claimNames are the names of claims, sorted.
func claimNames(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func pretty(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// newObjectID is a random GUID, the shape of Entra object ids.
func newObjectID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := fmt.Sprintf("%x", b[:])
	return strings.Join([]string{h[:8], h[8:12], h[12:16], h[16:20], h[20:]}, "-")
}
