package policy

import (
	"fmt"
	"slices"
	"strings"
)

// Rules of the checks B2C applies at upload, or that break a journey at run time.
const (
	// RuleRedirectURI: UsePolicyInRedirectUri is true, so B2C sends a redirect_uri per policy.
	RuleRedirectURI Rule = "redirect-uri"
	// RulePolicyKey: a cryptographic key names a policy key without B2C's B2C_1A_ prefix.
	RulePolicyKey Rule = "policy-key"
	// RuleClaimFlow: a step needs, or the token names, a claim no earlier step produces.
	RuleClaimFlow Rule = "claim-flow"
	// RuleValidation: a validation profile needs a claim its page does not output.
	RuleValidation Rule = "validation"
)

// PolicyKeyPrefix is the prefix B2C gives every policy key: a key created as "IdmeBridgeSecret"
// is referenced as "B2C_1A_IdmeBridgeSecret".
const PolicyKeyPrefix = "B2C_1A_"

// checkUploadRules runs the checks that need profiles resolved as B2C resolves them.
func checkUploadRules(docs []parsed, known KnownIDs) []Problem {
	var problems []Problem
	problems = append(problems, checkPolicyKeys(docs)...)
	profiles := map[string]Profile{}
	for _, p := range docs {
		for _, tp := range p.doc.profiles() {
			if _, done := profiles[tp.ID]; done {
				continue
			}
			if prof, err := findProfile(docs, known, tp.ID); err == nil {
				profiles[tp.ID] = prof
			}
		}
	}
	problems = append(problems, checkRedirectURIMode(docs, profiles)...)
	flow := claimFlow{docs: docs, known: known, profiles: profiles}
	problems = append(problems, flow.checkJourneys()...)
	problems = append(problems, flow.checkValidations()...)
	return problems
}

// fileOf names the first file defining a profile, for a problem's location.
func fileOf(docs []parsed, id string) string {
	for _, p := range docs {
		for _, tp := range p.doc.profiles() {
			if tp.ID == id {
				return p.name
			}
		}
	}
	return ""
}

func checkPolicyKeys(docs []parsed) []Problem {
	var problems []Problem
	for _, p := range docs {
		for _, tp := range p.doc.profiles() {
			for _, k := range tp.Keys {
				ref := strings.TrimSpace(k.StorageReferenceID)
				// A {Settings:...} token is judged once rendered.
				if ref != "" && !strings.HasPrefix(ref, PolicyKeyPrefix) && !strings.Contains(ref, "{Settings:") {
					problems = append(problems, Problem{File: p.name, Where: fmt.Sprintf("TechnicalProfile %q", tp.ID), Rule: RulePolicyKey,
						Message: fmt.Sprintf("key %q names policy key %q: B2C names every policy key %s<name>, so upload fails; use %q",
							k.ID, ref, PolicyKeyPrefix, PolicyKeyPrefix+ref)})
				}
			}
		}
	}
	return problems
}

// checkRedirectURIMode: with UsePolicyInRedirectUri true B2C sends
// .../{policy}/oauth2/authresp, a different URI per policy, which the bridge's exact match
// rejects unless each is registered.
func checkRedirectURIMode(docs []parsed, profiles map[string]Profile) []Problem {
	var problems []Problem
	for _, p := range docs {
		for _, tp := range p.doc.profiles() {
			v, ok := tp.metadata("UsePolicyInRedirectUri")
			if !ok {
				continue
			}
			kind := profiles[tp.ID].Kind
			if kind != KindOpenIDConnect && kind != KindOAuth2 {
				continue
			}
			if strings.EqualFold(v, "true") || v == "1" {
				problems = append(problems, Problem{File: p.name, Where: fmt.Sprintf("TechnicalProfile %q", tp.ID), Rule: RuleRedirectURI,
					Message: "UsePolicyInRedirectUri is " + v + ": B2C then sends a redirect_uri per policy (.../{policy}/oauth2/authresp) that the bridge's exact match rejects; set it to false"})
			}
		}
	}
	return problems
}

// claimFlow follows the claims a journey's steps produce.
type claimFlow struct {
	docs     []parsed
	known    KnownIDs
	profiles map[string]Profile
}

// outputs are the claims running a profile can add to the claim bag.
func (f claimFlow) outputs(id string, visiting map[string]bool) []string {
	if visiting[id] {
		return nil
	}
	visiting[id] = true
	if kc, ok := f.known.ProfileClaims[id]; ok {
		if _, inFiles := f.profiles[id]; !inFiles {
			return kc.Outputs
		}
	}
	p, ok := f.profiles[id]
	if !ok {
		return nil
	}
	var out []string
	for _, c := range p.OutputClaims {
		out = append(out, c.ClaimType)
	}
	for _, t := range append(slices.Clone(p.InputTransformations), p.OutputTransformations...) {
		out = append(out, f.transformationOutputs(t)...)
	}
	for _, v := range p.Validations {
		out = append(out, f.outputs(v, visiting)...)
	}
	for _, inc := range p.IncludesKnown {
		out = append(out, f.known.ProfileClaims[inc].Outputs...)
	}
	return out
}

func (f claimFlow) transformationOutputs(id string) []string {
	for _, p := range f.docs {
		for _, t := range p.doc.Transformations {
			if t.ID == id {
				var out []string
				for _, c := range t.OutputClaims {
					out = append(out, c.ClaimTypeReferenceID)
				}
				return out
			}
		}
	}
	return f.known.TransformationOutputs[id]
}

// required are the claims a profile cannot run without: its Required input claims that it
// gives itself no value for.
func (f claimFlow) required(id string) []string {
	p, ok := f.profiles[id]
	if !ok {
		return f.known.ProfileClaims[id].Required
	}
	own := map[string]bool{}
	for _, t := range p.InputTransformations {
		for _, c := range f.transformationOutputs(t) {
			own[c] = true
		}
	}
	var out []string
	for _, c := range p.InputClaims {
		if c.Required && c.DefaultValue == "" && !own[c.ClaimType] {
			out = append(out, c.ClaimType)
		}
	}
	return out
}

func (f claimFlow) checkJourneys() []Problem {
	var problems []Problem
	produced := map[string]map[string]bool{} // journey -> claims any step produces
	for _, p := range f.docs {
		for _, j := range p.doc.Journeys {
			have := map[string]bool{}
			for _, s := range exportJourney(j).Steps {
				var added []string
				for _, e := range s.Exchanges {
					for _, c := range f.required(e.ProfileID) {
						if !have[c] {
							problems = append(problems, Problem{File: p.name, Where: fmt.Sprintf("UserJourney %q step %d", j.ID, s.Order),
								Rule: RuleClaimFlow, Message: fmt.Sprintf("technical profile %q requires claim %q, which no earlier step produces", e.ProfileID, c)})
						}
					}
					added = append(added, f.outputs(e.ProfileID, map[string]bool{})...)
				}
				for _, c := range added {
					have[c] = true
				}
			}
			produced[j.ID] = have
		}
	}
	for _, p := range f.docs {
		rp := p.doc.RelyingParty
		if rp == nil {
			continue
		}
		have, ok := produced[strings.TrimSpace(rp.DefaultUserJourney.ReferenceID)]
		if !ok {
			continue // an unknown journey is a reference problem already
		}
		for _, c := range rp.OutputClaims {
			if c.DefaultValue == "" && !have[c.ClaimTypeReferenceID] {
				problems = append(problems, Problem{File: p.name, Where: "RelyingParty", Rule: RuleClaimFlow,
					Message: fmt.Sprintf("output claim %q is produced by no step of journey %q: the token would never carry it", c.ClaimTypeReferenceID, rp.DefaultUserJourney.ReferenceID)})
			}
		}
	}
	return problems
}

// checkValidations: a self-asserted page hands its validation profiles the claims it outputs;
// an input claim of a validation profile that the page does not output never reaches it.
func (f claimFlow) checkValidations() []Problem {
	var problems []Problem
	for id, p := range f.profiles {
		if p.Kind != KindSelfAsserted || len(p.Validations) == 0 {
			continue
		}
		outs := map[string]bool{}
		for _, c := range p.OutputClaims {
			outs[c.ClaimType] = true
		}
		for _, v := range p.Validations {
			vp, ok := f.profiles[v]
			if !ok {
				continue // a starter-pack validation profile
			}
			for _, c := range vp.InputClaims {
				if !outs[c.ClaimType] {
					problems = append(problems, Problem{File: fileOf(f.docs, id), Where: fmt.Sprintf("TechnicalProfile %q", id), Rule: RuleValidation,
						Message: fmt.Sprintf("validation profile %q takes input claim %q, which this page does not output; add it to the page's OutputClaims", v, c.ClaimType)})
				}
			}
		}
	}
	return problems
}
