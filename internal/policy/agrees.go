package policy

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrDisagree is wrapped when a policy's OpenIdConnect profile does not match the bridge it is
// meant for.
var ErrDisagree = errors.New("policy: the policy does not agree with the bridge")

// DiscoveryPath is where the bridge publishes its discovery document, below its issuer.
const DiscoveryPath = "/.well-known/openid-configuration"

// Agrees reads the rendered policy files in the folder rendered and checks that every
// OpenIdConnect technical profile with a METADATA URL federates to the bridge whose issuer is
// issuerURL (BRIDGE_ISSUER) as its client clientID (a BRIDGE_CLIENTS client_id), the way the
// bridge supports: the discovery document at issuerURL+DiscoveryPath, the code flow, form_post
// or query, openid among the scopes, a client secret sent in the body or as basic auth, and the
// token endpoint called with POST. It returns nil when they agree.
func Agrees(rendered, issuerURL, clientID string) error {
	files, err := ReadDir(rendered)
	if err != nil {
		return err
	}
	return AgreesFiles(files, rendered, issuerURL, clientID)
}

// AgreesFiles is Agrees on files already in memory; where names them in errors. The issuer is
// normalised as the bridge normalises BRIDGE_ISSUER.
func AgreesFiles(files map[string][]byte, where, issuerURL, clientID string) error {
	issuerURL = NormalizeIssuer(issuerURL)
	docs, err := parseAll(files)
	if err != nil {
		return err
	}
	defaults := claimDefaults(docs)
	var ids []string
	for _, p := range docs {
		for _, tp := range p.doc.profiles() {
			if !slices.Contains(ids, tp.ID) {
				ids = append(ids, tp.ID)
			}
		}
	}
	slices.Sort(ids)
	checked := 0
	var disagreements []string
	for _, id := range ids {
		tp, err := resolveProfile(id, docs, map[string]bool{})
		if errors.Is(err, ErrNoProfile) {
			continue // it includes a profile of the starter pack: not one of the bridge's
		}
		if err != nil {
			return err
		}
		if k, ok := kindOf(tp); !ok || k != KindOpenIDConnect {
			continue
		}
		p := oidcProfile(tp, defaults)
		if p.MetadataURL == "" {
			continue
		}
		checked++
		disagreements = append(disagreements, disagree(p, issuerURL, clientID)...)
	}
	if checked == 0 {
		return fmt.Errorf("%w: no OpenIdConnect technical profile with METADATA in %s", ErrDisagree, where)
	}
	if len(disagreements) > 0 {
		return fmt.Errorf("%w:\n\t%s", ErrDisagree, strings.Join(disagreements, "\n\t"))
	}
	return nil
}

// disagree lists, for one profile, each way it would fail against the bridge, with the B2C
// error it would surface as where that is known.
func disagree(p OIDCProfile, issuerURL, clientID string) []string {
	var out []string
	bad := func(format string, args ...any) {
		out = append(out, fmt.Sprintf("%s: ", p.ID)+fmt.Sprintf(format, args...))
	}
	if want := issuerURL + DiscoveryPath; p.MetadataURL != want {
		bad("METADATA is %q, want %q (the bridge's discovery document)", p.MetadataURL, want)
	}
	if p.ClientID != clientID {
		bad("client_id is %q, want %q (else AADB2C90237, or invalid_client)", p.ClientID, clientID)
	}
	if p.ResponseTypes != "code" {
		bad("response_types is %q, want \"code\": the bridge supports only the code flow", p.ResponseTypes)
	}
	if !slices.Contains([]string{"", "form_post", "query"}, p.ResponseMode) {
		bad("response_mode is %q, want form_post or query", p.ResponseMode)
	}
	if !slices.Contains(p.Scopes(), "openid") {
		bad("scope %q lacks openid", p.Scope)
	}
	if !slices.Contains([]string{"", "client_secret_post", "client_secret_basic"}, p.TokenEndpointAuthMethod) {
		bad("token_endpoint_auth_method is %q, want client_secret_post or client_secret_basic", p.TokenEndpointAuthMethod)
	}
	if p.ClientSecretKey == "" {
		bad("no client_secret cryptographic key: the bridge's token endpoint requires the client secret")
	}
	if b, ok := p.Metadata["HttpBinding"]; ok && b != "POST" {
		bad("HttpBinding is %q, want POST: the bridge's token endpoint accepts only POST", b)
	}
	return out
}
