package policy

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// BridgeProfileID is the OpenIdConnect technical profile that federates to the bridge.
const BridgeProfileID = "IdmeBridge-OIDC"

// ErrNoProfile is wrapped when the files do not define the asked technical profile.
var ErrNoProfile = errors.New("policy: no such technical profile")

// OIDCProfile is an OpenIdConnect technical profile as B2C runs it: its own elements merged
// over those of the profile it includes, and over earlier definitions in base policies.
type OIDCProfile struct {
	ID       string
	Metadata map[string]string
	// The metadata B2C's OpenID Connect client is driven by, read out of Metadata.
	MetadataURL             string // METADATA: the discovery document
	ClientID                string
	Scope                   string
	ResponseTypes           string
	ResponseMode            string // "" means B2C's default, form_post
	TokenEndpointAuthMethod string // "" means B2C's default, client_secret_post
	// ClientSecretKey is the policy key (StorageReferenceId) holding the client secret.
	ClientSecretKey string
	OutputClaims    []OutputClaim
}

// OutputClaim maps one claim of the provider's id_token to a B2C claim type.
type OutputClaim struct {
	ClaimTypeReferenceID string
	// PartnerClaimType is the id_token claim read: the explicit mapping, else the claim type's
	// default for OpenIdConnect, else the claim type's own id, as in B2C.
	PartnerClaimType      string
	DefaultValue          string
	AlwaysUseDefaultValue bool
}

// Scopes are the scope values B2C sends.
func (p OIDCProfile) Scopes() []string { return strings.Fields(p.Scope) }

// Map does what B2C does with a validated id_token's claims: each output claim takes the
// partner claim's value, or its DefaultValue when the token lacks it (always, with
// AlwaysUseDefaultValue). Token claims no output claim maps are dropped. The result is keyed by
// B2C claim type.
func (p OIDCProfile) Map(idToken map[string]any) map[string]any {
	out := make(map[string]any, len(p.OutputClaims))
	for _, oc := range p.OutputClaims {
		v, ok := idToken[oc.PartnerClaimType]
		switch {
		case oc.AlwaysUseDefaultValue || (!ok && oc.DefaultValue != ""):
			out[oc.ClaimTypeReferenceID] = oc.DefaultValue
		case ok:
			out[oc.ClaimTypeReferenceID] = v
		}
	}
	return out
}

// LoadOIDCProfile reads the policy files in dir (rendered, so the values are real) and returns
// the technical profile id.
func LoadOIDCProfile(dir, id string) (OIDCProfile, error) {
	files, err := ReadDir(dir)
	if err != nil {
		return OIDCProfile{}, err
	}
	return FindOIDCProfile(files, id)
}

// FindOIDCProfile returns the technical profile id from the files, resolved as B2C resolves it.
// It fails when the profile is missing or is not an OpenIdConnect one.
func FindOIDCProfile(files map[string][]byte, id string) (OIDCProfile, error) {
	docs, err := parseAll(files)
	if err != nil {
		return OIDCProfile{}, err
	}
	tp, err := resolveProfile(id, docs, map[string]bool{})
	if err != nil {
		return OIDCProfile{}, err
	}
	if k, ok := kindOf(tp); !ok || k != KindOpenIDConnect {
		return OIDCProfile{}, fmt.Errorf("policy: technical profile %q is not an OpenIdConnect identity provider", id)
	}
	return oidcProfile(tp, claimDefaults(docs)), nil
}

func oidcProfile(tp technicalProfile, defaults map[string]string) OIDCProfile {
	p := OIDCProfile{ID: tp.ID, Metadata: make(map[string]string, len(tp.Metadata))}
	for _, it := range tp.Metadata {
		p.Metadata[it.Key] = strings.TrimSpace(it.Value)
	}
	p.MetadataURL = p.Metadata["METADATA"]
	p.ClientID = p.Metadata["client_id"]
	p.Scope = p.Metadata["scope"]
	p.ResponseTypes = p.Metadata["response_types"]
	p.ResponseMode = p.Metadata["response_mode"]
	p.TokenEndpointAuthMethod = p.Metadata["token_endpoint_auth_method"]
	for _, k := range tp.Keys {
		if k.ID == "client_secret" {
			p.ClientSecretKey = k.StorageReferenceID
		}
	}
	for _, oc := range tp.OutputClaims {
		partner := oc.PartnerClaimType
		if partner == "" {
			partner = cmp.Or(defaults[oc.ClaimTypeReferenceID], oc.ClaimTypeReferenceID)
		}
		p.OutputClaims = append(p.OutputClaims, OutputClaim{
			ClaimTypeReferenceID:  oc.ClaimTypeReferenceID,
			PartnerClaimType:      partner,
			DefaultValue:          oc.DefaultValue,
			AlwaysUseDefaultValue: oc.AlwaysUseDefaultValue,
		})
	}
	return p
}

// claimDefaults maps claim types defined in the files to their OpenIdConnect partner claim.
func claimDefaults(docs []parsed) map[string]string {
	out := make(map[string]string)
	for _, p := range docs {
		for _, ct := range p.doc.ClaimTypes {
			for _, d := range ct.Defaults {
				if d.Name == "OpenIdConnect" {
					out[ct.ID] = d.PartnerClaimType
				}
			}
		}
	}
	return out
}

func parseAll(files map[string][]byte) ([]parsed, error) {
	docs := make([]parsed, 0, len(files))
	for name, data := range files {
		p, err := parse(name, data)
		if err != nil {
			return nil, err
		}
		docs = append(docs, p)
	}
	// Base policies first, so that a child's definition is merged over its parent's.
	depth := inheritanceDepths(docs)
	slices.SortFunc(docs, func(a, b parsed) int {
		if d := depth[a.doc.PolicyID] - depth[b.doc.PolicyID]; d != 0 {
			return d
		}
		return strings.Compare(a.name, b.name)
	})
	return docs, nil
}

// inheritanceDepths counts each policy's ancestors among the files.
func inheritanceDepths(docs []parsed) map[string]int {
	parent := make(map[string]string, len(docs))
	for _, p := range docs {
		if p.doc.Base != nil {
			parent[p.doc.PolicyID] = strings.TrimSpace(p.doc.Base.PolicyID)
		}
	}
	depth := make(map[string]int, len(docs))
	for _, p := range docs {
		seen := map[string]bool{p.doc.PolicyID: true}
		for id := parent[p.doc.PolicyID]; hasPolicy(docs, id) && !seen[id]; id = parent[id] {
			seen[id] = true
			depth[p.doc.PolicyID]++
		}
	}
	return depth
}

func hasPolicy(docs []parsed, id string) bool {
	return slices.ContainsFunc(docs, func(p parsed) bool { return p.doc.PolicyID == id })
}

// resolveProfile merges every definition of id (in inheritance order) over the profile it
// includes.
func resolveProfile(id string, docs []parsed, visiting map[string]bool) (technicalProfile, error) {
	own, err := profileDefinitions(id, docs, visiting)
	if err != nil {
		return technicalProfile{}, err
	}
	merged := technicalProfile{ID: id}
	var include string
	for _, tp := range own {
		if tp.Include != nil {
			include = strings.TrimSpace(tp.Include.ReferenceID)
		}
	}
	if include != "" {
		base, err := resolveProfile(include, docs, visiting)
		if err != nil {
			return technicalProfile{}, fmt.Errorf("policy: %q includes %q: %w", id, include, err)
		}
		merged = base
		merged.ID = id
	}
	for _, tp := range own {
		merged = overlay(merged, tp)
	}
	return merged, nil
}

// profileDefinitions returns every definition of id across docs, in inheritance order, and marks id as
// visited so that an include cycle is refused rather than followed forever.
func profileDefinitions(id string, docs []parsed, visiting map[string]bool) ([]technicalProfile, error) {
	if visiting[id] {
		return nil, fmt.Errorf("policy: technical profile %q includes itself", id)
	}
	visiting[id] = true
	var own []technicalProfile
	for _, p := range docs {
		for _, tp := range p.doc.profiles() {
			if tp.ID == id {
				own = append(own, tp)
			}
		}
	}
	if len(own) == 0 {
		return nil, fmt.Errorf("%w: %q", ErrNoProfile, id)
	}
	return own, nil
}

// overlay puts top's elements over base's: metadata and keys by key, output claims by claim type.
func overlay(base, top technicalProfile) technicalProfile {
	out := base
	if top.Protocol != nil {
		out.Protocol = top.Protocol
	}
	if top.OutputTokenFormat != "" {
		out.OutputTokenFormat = top.OutputTokenFormat
	}
	out.Metadata = mergeBy(base.Metadata, top.Metadata, func(it item) string { return it.Key })
	out.Keys = mergeBy(base.Keys, top.Keys, func(k key) string { return k.ID })
	out.OutputClaims = mergeBy(base.OutputClaims, top.OutputClaims, func(c claimRef) string { return c.ClaimTypeReferenceID })
	out.InputClaims = mergeBy(base.InputClaims, top.InputClaims, func(c claimRef) string { return c.ClaimTypeReferenceID })
	out.PersistedClaims = mergeBy(base.PersistedClaims, top.PersistedClaims, func(c claimRef) string { return c.ClaimTypeReferenceID })
	byRef := func(r reference) string { return r.ReferenceID }
	out.InputTransformations = mergeBy(base.InputTransformations, top.InputTransformations, byRef)
	out.OutputTransformations = mergeBy(base.OutputTransformations, top.OutputTransformations, byRef)
	out.Validations = mergeBy(base.Validations, top.Validations, byRef)
	if top.SessionManagement != nil {
		out.SessionManagement = top.SessionManagement
	}
	if top.IncludeInSso != nil {
		out.IncludeInSso = top.IncludeInSso
	}
	return out
}

func mergeBy[T any](base, top []T, id func(T) string) []T {
	out := slices.Clone(base)
	for _, t := range top {
		if i := slices.IndexFunc(out, func(b T) bool { return id(b) == id(t) }); i >= 0 {
			out[i] = t
		} else {
			out = append(out, t)
		}
	}
	return out
}

// ClaimDataTypes returns the DataType (string, boolean, stringCollection...) of every claim type
// the files declare, so a test can check that a token's claim has the type B2C will read it as.
func ClaimDataTypes(files map[string][]byte) (map[string]string, error) {
	docs, err := parseAll(files)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, d := range docs {
		for _, ct := range d.doc.ClaimTypes {
			if ct.DataType != "" {
				out[ct.ID] = ct.DataType
			}
		}
	}
	return out, nil
}
