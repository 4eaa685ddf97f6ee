package policy

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Rule names the check a Problem comes from.
type Rule string

// Rules.
const (
	// RuleParse: the file is not well-formed XML.
	RuleParse Rule = "parse"
	// RuleReference: an id is used but defined neither in the files nor in the known ids.
	RuleReference Rule = "reference"
	// RuleProtocol: a technical profile's protocol or handler cannot be told.
	RuleProtocol Rule = "protocol"
	// RuleMetadata: a metadata key its technical profile does not understand, or a repeated key.
	RuleMetadata Rule = "metadata"
	// RulePrecondition: a precondition that can never hold as written.
	RulePrecondition Rule = "precondition"
)

// Problem is one finding of Check.
type Problem struct {
	File    string // the policy file's name
	Where   string // the element it is in, e.g. `TechnicalProfile "IdmeBridge-OIDC"`
	Rule    Rule
	Message string
}

func (p Problem) String() string {
	return fmt.Sprintf("%s: %s: %s", p.File, p.Where, p.Message)
}

// Check finds what B2C would reject at upload or ignore at sign-in but Microsoft's schema
// accepts: references to ids that neither the files nor known define, ClaimsProviderSelections
// naming no ClaimsExchange of their journey, metadata keys the technical profile's protocol does
// not understand, and boolean preconditions that can never match. It returns the problems sorted
// by file; none means the files passed.
func Check(files map[string][]byte, known KnownIDs) []Problem {
	var problems []Problem
	defined := knownSet(known)
	var docs []parsed
	type located struct {
		file string
		m    mention
	}
	var refs []located
	for name, data := range files {
		p, err := parse(name, data)
		if err != nil {
			problems = append(problems, Problem{File: name, Where: "TrustFrameworkPolicy", Rule: RuleParse, Message: err.Error()})
			continue
		}
		defs, rs, err := walk(name, data)
		if err != nil {
			problems = append(problems, Problem{File: name, Where: "TrustFrameworkPolicy", Rule: RuleParse, Message: err.Error()})
			continue
		}
		docs = append(docs, p)
		for _, d := range defs {
			defined[d.space][d.id] = true
		}
		for _, r := range rs {
			refs = append(refs, located{name, r})
		}
	}
	for _, r := range refs {
		if !defined[r.m.space][r.m.id] {
			problems = append(problems, Problem{File: r.file, Where: r.m.where, Rule: RuleReference,
				Message: fmt.Sprintf("%s refers to unknown %s %q", r.m.what, r.m.space, r.m.id)})
		}
	}
	problems = append(problems, checkSelections(docs)...)
	problems = append(problems, checkMetadata(docs, known)...)
	problems = append(problems, checkBooleanPreconditions(docs, known)...)
	problems = append(problems, checkUploadRules(docs, known)...)
	slices.SortFunc(problems, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Where, b.Where), cmp.Compare(a.Message, b.Message))
	})
	return problems
}

func knownSet(known KnownIDs) map[space]map[string]bool {
	set := make(map[space]map[string]bool)
	for _, s := range []space{spaceClaimType, spaceTechnicalProfile, spaceClaimsTransformation,
		spaceContentDefinition, spaceUserJourney, spaceSubJourney, spaceClientDefinition,
		spaceDisplayControl, spacePolicy} {
		set[s] = make(map[string]bool)
	}
	add := func(s space, ids []string) {
		for _, id := range ids {
			set[s][id] = true
		}
	}
	add(spacePolicy, known.Policies)
	add(spaceClaimType, known.ClaimTypes)
	add(spaceClaimsTransformation, known.ClaimsTransformations)
	add(spaceContentDefinition, known.ContentDefinitions)
	add(spaceClientDefinition, known.ClientDefinitions)
	add(spaceUserJourney, known.UserJourneys)
	for _, tp := range known.TechnicalProfiles {
		set[spaceTechnicalProfile][tp.ID] = true
	}
	return set
}

// checkSelections: a provider button or sign-in form (ClaimsProviderSelection) must lead to a
// ClaimsExchange of the same journey, or B2C fails the journey when the user picks it.
func checkSelections(docs []parsed) []Problem {
	var problems []Problem
	for _, p := range docs {
		for _, j := range append(slices.Clone(p.doc.Journeys), p.doc.SubJourneys...) {
			exchanges := make(map[string]bool)
			for _, s := range j.Steps {
				for _, e := range s.Exchanges {
					exchanges[e.ID] = true
				}
			}
			for _, s := range j.Steps {
				for _, sel := range s.Selections {
					for attr, id := range map[string]string{
						"TargetClaimsExchangeId":     sel.TargetClaimsExchangeID,
						"ValidationClaimsExchangeId": sel.ValidationClaimsExchangeID,
					} {
						if id != "" && !exchanges[id] {
							problems = append(problems, Problem{File: p.name,
								Where: fmt.Sprintf("UserJourney %q step %d", j.ID, s.Order), Rule: RuleReference,
								Message: fmt.Sprintf("ClaimsProviderSelection %s refers to unknown ClaimsExchange %q", attr, id)})
						}
					}
				}
			}
		}
	}
	return problems
}

// checkBooleanPreconditions: B2C compares a boolean claim in ClaimEquals as the text "True" or
// "False", case-sensitively, so "true" never matches and the step's action never happens.
func checkBooleanPreconditions(docs []parsed, known KnownIDs) []Problem {
	booleans := slices.Clone(known.BooleanClaimTypes)
	for _, p := range docs {
		for _, ct := range p.doc.ClaimTypes {
			if strings.TrimSpace(ct.DataType) == "boolean" {
				booleans = append(booleans, ct.ID)
			}
		}
	}
	var problems []Problem
	for _, p := range docs {
		for _, j := range append(slices.Clone(p.doc.Journeys), p.doc.SubJourneys...) {
			for _, s := range j.Steps {
				for _, pre := range s.Preconditions {
					if pre.Type != "ClaimEquals" || len(pre.Values) < 2 {
						continue
					}
					claim, value := strings.TrimSpace(pre.Values[0]), strings.TrimSpace(pre.Values[1])
					if slices.Contains(booleans, claim) && value != "True" && value != "False" {
						problems = append(problems, Problem{File: p.name,
							Where: fmt.Sprintf("UserJourney %q step %d", j.ID, s.Order), Rule: RulePrecondition,
							Message: fmt.Sprintf("ClaimEquals compares boolean %q with %q: B2C matches only True or False", claim, value)})
					}
				}
			}
		}
	}
	return problems
}

// checkMetadata judges every metadata key against its technical profile's kind. A profile
// without a Protocol element takes the kind of the profile it includes or overrides.
func checkMetadata(docs []parsed, known KnownIDs) []Problem {
	var problems []Problem
	all := profilesByID(docs)
	for _, p := range docs {
		for _, tp := range p.doc.profiles() {
			where := fmt.Sprintf("TechnicalProfile %q", tp.ID)
			if tp.Protocol != nil {
				if _, ok := kindOf(tp); !ok {
					problems = append(problems, Problem{File: p.name, Where: where, Rule: RuleProtocol,
						Message: fmt.Sprintf("unknown protocol handler %q", tp.Protocol.Handler)})
					continue
				}
			}
			if len(tp.Metadata) == 0 {
				continue
			}
			kind, ok := resolveKind(tp.ID, all, known, map[string]bool{})
			if !ok {
				problems = append(problems, Problem{File: p.name, Where: where, Rule: RuleProtocol,
					Message: "has metadata but no Protocol, and includes or overrides no profile whose protocol is known"})
				continue
			}
			seen := make(map[string]bool, len(tp.Metadata))
			for _, it := range tp.Metadata {
				if seen[it.Key] {
					problems = append(problems, Problem{File: p.name, Where: where, Rule: RuleMetadata,
						Message: fmt.Sprintf("metadata key %q appears twice", it.Key)})
				}
				seen[it.Key] = true
				allowed, checked := keyAllowed(kind, it.Key)
				if !checked || allowed {
					continue
				}
				msg := fmt.Sprintf("metadata key %q is not a %s setting", it.Key, kind)
				if near := closestKey(kind, it.Key); near != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", near)
				}
				problems = append(problems, Problem{File: p.name, Where: where, Rule: RuleMetadata, Message: msg})
			}
		}
	}
	return problems
}

// profilesByID gathers every definition of each technical profile id; a child policy may
// define a profile again to override part of it.
func profilesByID(docs []parsed) map[string][]technicalProfile {
	all := make(map[string][]technicalProfile)
	for _, p := range docs {
		for _, tp := range p.doc.profiles() {
			all[tp.ID] = append(all[tp.ID], tp)
		}
	}
	return all
}

// resolveKind finds a profile's kind from its own Protocol, else from the profile it includes,
// else from a known profile it overrides.
func resolveKind(id string, all map[string][]technicalProfile, known KnownIDs, visiting map[string]bool) (Kind, bool) {
	if visiting[id] {
		return "", false // an include cycle; B2C rejects it too
	}
	visiting[id] = true
	for _, tp := range all[id] {
		if tp.Protocol != nil {
			return kindOf(tp)
		}
	}
	for _, tp := range all[id] {
		if tp.Include != nil && strings.TrimSpace(tp.Include.ReferenceID) != "" {
			if k, ok := resolveKind(tp.Include.ReferenceID, all, known, visiting); ok {
				return k, true
			}
		}
	}
	for _, kp := range known.TechnicalProfiles {
		if kp.ID == id {
			return kp.Kind, true
		}
	}
	return "", false
}
