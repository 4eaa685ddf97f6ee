package policy

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// ClaimRef is an InputClaim, OutputClaim or PersistedClaim of a technical profile.
type ClaimRef struct {
	ClaimType             string
	PartnerClaimType      string
	DefaultValue          string
	AlwaysUseDefaultValue bool
	Required              bool
}

// Profile is a technical profile defined in the files, with the elements it includes from
// other profiles of the files merged in, as B2C merges them. A profile it includes from the
// starter pack is named in IncludesKnown; its elements are not in the files.
type Profile struct {
	ID                    string
	Kind                  Kind
	Handler               string
	Metadata              map[string]string
	InputClaims           []ClaimRef
	OutputClaims          []ClaimRef
	PersistedClaims       []ClaimRef
	InputTransformations  []string
	OutputTransformations []string
	Validations           []string
	// SessionManagement is the profile named by UseTechnicalProfileForSessionManagement.
	SessionManagement string
	// IncludeInSso is the element's text ("true", "false"), or "" when the profile and those
	// it includes from the files do not set it.
	IncludeInSso  string
	IncludesKnown []string
}

// Step is one orchestration step of a user journey.
type Step struct {
	Order         int
	Type          string // ClaimsExchange, CombinedSignInAndSignUp, ClaimsProviderSelection, SendClaims...
	Preconditions []Precondition
	Exchanges     []Exchange
	// Selections are the TargetClaimsExchangeIds of the step's provider buttons.
	Selections []string
}

// Precondition is a step's precondition: when the test (ClaimsExist or ClaimEquals on Values)
// is ExecuteActionsIf, the Action happens.
type Precondition struct {
	Type             string
	ExecuteActionsIf bool
	Values           []string
	Action           string
}

// Exchange is a ClaimsExchange: which technical profile a step runs.
type Exchange struct{ ID, ProfileID string }

// Journey is a user journey.
type Journey struct {
	ID    string
	Steps []Step
}

// RelyingParty is a relying party file's journey and the claims its token carries.
type RelyingParty struct {
	File, PolicyID, Journey string
	// TokenJourney is the journey of the Token endpoint, run when a refresh token is redeemed;
	// "" when the file names none.
	TokenJourney string
	OutputClaims []ClaimRef
}

// Transformation is a claims transformation defined in the files.
type Transformation struct {
	ID, Method   string
	InputClaims  map[string]string // TransformationClaimType -> claim type
	Parameters   map[string]string // InputParameter Id -> Value
	OutputClaims map[string]string // TransformationClaimType -> claim type
}

// FindProfile returns the technical profile id as defined in the files.
func FindProfile(files map[string][]byte, id string) (Profile, error) {
	docs, err := parseAll(files)
	if err != nil {
		return Profile{}, err
	}
	return findProfile(docs, StarterPack(), id)
}

func findProfile(docs []parsed, known KnownIDs, id string) (Profile, error) {
	tp, includesKnown, err := resolveLoose(id, docs, map[string]bool{})
	if err != nil {
		return Profile{}, err
	}
	kind, _ := resolveKind(id, profilesByID(docs), known, map[string]bool{})
	if kind == "" {
		for _, inc := range includesKnown {
			if k, ok := resolveKind(inc, profilesByID(docs), known, map[string]bool{}); ok {
				kind = k
			}
		}
	}
	p := Profile{ID: id, Kind: kind, Metadata: map[string]string{}, IncludesKnown: includesKnown}
	if tp.Protocol != nil {
		p.Handler = strings.TrimSpace(tp.Protocol.Handler)
	}
	for _, it := range tp.Metadata {
		p.Metadata[it.Key] = strings.TrimSpace(it.Value)
	}
	p.InputClaims = exportClaims(tp.InputClaims)
	p.OutputClaims = exportClaims(tp.OutputClaims)
	p.PersistedClaims = exportClaims(tp.PersistedClaims)
	p.InputTransformations = refIDs(tp.InputTransformations)
	p.OutputTransformations = refIDs(tp.OutputTransformations)
	p.Validations = refIDs(tp.Validations)
	if tp.SessionManagement != nil {
		p.SessionManagement = strings.TrimSpace(tp.SessionManagement.ReferenceID)
	}
	if tp.IncludeInSso != nil {
		p.IncludeInSso = strings.TrimSpace(*tp.IncludeInSso)
	}
	return p, nil
}

// resolveLoose is resolveProfile for profiles that include one of the starter pack: such an
// include is listed, not merged.
func resolveLoose(id string, docs []parsed, visiting map[string]bool) (technicalProfile, []string, error) {
	own, err := profileDefinitions(id, docs, visiting)
	if err != nil {
		return technicalProfile{}, nil, err
	}
	merged := technicalProfile{ID: id}
	var knownIncludes []string
	for _, tp := range own {
		if tp.Include == nil || strings.TrimSpace(tp.Include.ReferenceID) == "" {
			continue
		}
		inc := strings.TrimSpace(tp.Include.ReferenceID)
		base, more, err := resolveLoose(inc, docs, visiting)
		if err != nil {
			knownIncludes = append(knownIncludes, inc)
			continue
		}
		merged = base
		merged.ID = id
		knownIncludes = append(knownIncludes, more...)
	}
	for _, tp := range own {
		merged = overlay(merged, tp)
	}
	return merged, knownIncludes, nil
}

func exportClaims(in []claimRef) []ClaimRef {
	out := make([]ClaimRef, 0, len(in))
	for _, c := range in {
		out = append(out, ClaimRef{ClaimType: c.ClaimTypeReferenceID, PartnerClaimType: c.PartnerClaimType,
			DefaultValue: c.DefaultValue, AlwaysUseDefaultValue: c.AlwaysUseDefaultValue, Required: c.Required})
	}
	return out
}

func refIDs(in []reference) []string {
	out := make([]string, 0, len(in))
	for _, r := range in {
		out = append(out, strings.TrimSpace(r.ReferenceID))
	}
	return out
}

// FindJourney returns the user journey id from the files.
func FindJourney(files map[string][]byte, id string) (Journey, error) {
	docs, err := parseAll(files)
	if err != nil {
		return Journey{}, err
	}
	j, ok := findJourney(docs, id)
	if !ok {
		return Journey{}, fmt.Errorf("policy: no user journey %q", id)
	}
	return exportJourney(j), nil
}

func findJourney(docs []parsed, id string) (journey, bool) {
	for _, p := range docs {
		for _, j := range p.doc.Journeys {
			if j.ID == id {
				return j, true
			}
		}
	}
	return journey{}, false
}

func exportJourney(j journey) Journey {
	out := Journey{ID: j.ID}
	steps := slices.Clone(j.Steps)
	slices.SortStableFunc(steps, func(a, b step) int { return cmp.Compare(a.Order, b.Order) })
	for _, s := range steps {
		st := Step{Order: s.Order, Type: strings.TrimSpace(s.Type)}
		for _, pre := range s.Preconditions {
			values := make([]string, len(pre.Values))
			for i, v := range pre.Values {
				values[i] = strings.TrimSpace(v)
			}
			st.Preconditions = append(st.Preconditions, Precondition{Type: pre.Type, ExecuteActionsIf: pre.ExecuteActionsIf,
				Values: values, Action: strings.TrimSpace(pre.Action)})
		}
		for _, e := range s.Exchanges {
			st.Exchanges = append(st.Exchanges, Exchange{ID: e.ID, ProfileID: e.ProfileID})
		}
		for _, sel := range s.Selections {
			if sel.TargetClaimsExchangeID != "" {
				st.Selections = append(st.Selections, sel.TargetClaimsExchangeID)
			}
		}
		out.Steps = append(out.Steps, st)
	}
	return out
}

// RelyingParties lists the relying party files among files, by file name.
func RelyingParties(files map[string][]byte) ([]RelyingParty, error) {
	docs, err := parseAll(files)
	if err != nil {
		return nil, err
	}
	var out []RelyingParty
	for _, p := range docs {
		if p.doc.RelyingParty == nil {
			continue
		}
		rp := RelyingParty{File: p.name, PolicyID: p.doc.PolicyID,
			Journey:      strings.TrimSpace(p.doc.RelyingParty.DefaultUserJourney.ReferenceID),
			OutputClaims: exportClaims(p.doc.RelyingParty.OutputClaims)}
		for _, e := range p.doc.RelyingParty.Endpoints {
			if strings.TrimSpace(e.ID) == "Token" {
				rp.TokenJourney = strings.TrimSpace(e.Journey)
			}
		}
		out = append(out, rp)
	}
	slices.SortFunc(out, func(a, b RelyingParty) int { return cmp.Compare(a.File, b.File) })
	return out, nil
}

// FindTransformation returns the claims transformation id from the files.
func FindTransformation(files map[string][]byte, id string) (Transformation, error) {
	docs, err := parseAll(files)
	if err != nil {
		return Transformation{}, err
	}
	for _, p := range docs {
		for _, t := range p.doc.Transformations {
			if t.ID == id {
				return exportTransformation(t), nil
			}
		}
	}
	return Transformation{}, fmt.Errorf("policy: no claims transformation %q in the files", id)
}

func exportTransformation(t transformation) Transformation {
	out := Transformation{ID: t.ID, Method: t.Method, InputClaims: map[string]string{},
		Parameters: map[string]string{}, OutputClaims: map[string]string{}}
	for _, c := range t.InputClaims {
		out.InputClaims[c.TransformationClaimType] = c.ClaimTypeReferenceID
	}
	for _, prm := range t.Parameters {
		out.Parameters[prm.ID] = prm.Value
	}
	for _, c := range t.OutputClaims {
		out.OutputClaims[c.TransformationClaimType] = c.ClaimTypeReferenceID
	}
	return out
}
