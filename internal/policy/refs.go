package policy

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// space is a namespace of ids: a reference to a technical profile is looked up among technical
// profiles only.
type space string

const (
	spaceClaimType            space = "claim type"
	spaceTechnicalProfile     space = "technical profile"
	spaceClaimsTransformation space = "claims transformation"
	spaceContentDefinition    space = "content definition"
	spaceUserJourney          space = "user journey"
	spaceSubJourney           space = "sub journey"
	spaceClientDefinition     space = "client definition"
	spaceDisplayControl       space = "display control"
	spacePolicy               space = "policy"
)

// mention is one id found in a file, defined or referred to.
type mention struct {
	space space
	id    string
	where string // the enclosing element, e.g. `TechnicalProfile "IdmeBridge-OIDC"`
	what  string // what refers, e.g. "OutputClaim ClaimTypeReferenceId"
}

// definitions maps an element, inside its parent, to the space its Id defines.
func definitions(element, parent string) (space, bool) {
	s, ok := map[[2]string]space{
		{"ClaimType", "ClaimsSchema"}:                     spaceClaimType,
		{"ClaimsTransformation", "ClaimsTransformations"}: spaceClaimsTransformation,
		{"ContentDefinition", "ContentDefinitions"}:       spaceContentDefinition,
		{"TechnicalProfile", "TechnicalProfiles"}:         spaceTechnicalProfile,
		{"UserJourney", "UserJourneys"}:                   spaceUserJourney,
		{"SubJourney", "SubJourneys"}:                     spaceSubJourney,
		{"ClientDefinition", "ClientDefinitions"}:         spaceClientDefinition,
		{"DisplayControl", "DisplayControls"}:             spaceDisplayControl,
	}[[2]string{element, parent}]
	return s, ok
}

// referenceAttr maps an attribute to the space it refers into; ReferenceId depends on its
// element.
func referenceAttr(element, attr string) (space, bool) {
	switch attr {
	case "ClaimTypeReferenceId":
		return spaceClaimType, true
	case "TechnicalProfileReferenceId", "CpimIssuerTechnicalProfileReferenceId",
		"DefaultCpimIssuerTechnicalProfileReferenceId":
		return spaceTechnicalProfile, true
	case "ContentDefinitionReferenceId":
		return spaceContentDefinition, true
	case "UserJourneyReferenceId":
		return spaceUserJourney, true
	case "SubJourneyReferenceId":
		return spaceSubJourney, true
	case "DisplayControlReferenceId":
		return spaceDisplayControl, true
	case "ReferenceId":
		switch element {
		case "ValidationTechnicalProfile", "IncludeTechnicalProfile",
			"UseTechnicalProfileForSessionManagement", "AuthorizationTechnicalProfile",
			"ValidationClaimsExchangeTechnicalProfile":
			return spaceTechnicalProfile, true
		case "InputClaimsTransformation", "OutputClaimsTransformation":
			return spaceClaimsTransformation, true
		case "DefaultUserJourney":
			return spaceUserJourney, true
		case "ClientDefinition":
			return spaceClientDefinition, true
		}
	}
	return "", false
}

// frame is an open element during the walk.
type frame struct {
	name   string
	attrs  map[string]string
	values int // Value children seen, for a Precondition
}

// walk lists every id a file defines and every id it refers to, from attributes anywhere in
// the document and from the few references written as element text.
func walk(name string, data []byte) (defs, refs []mention, err error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	var stack []*frame
	var text strings.Builder
	capture := false // whether the open element's text is a reference
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return defs, refs, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("policy: parse %s: %w", name, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			f := &frame{name: t.Name.Local, attrs: make(map[string]string, len(t.Attr))}
			for _, a := range t.Attr {
				f.attrs[a.Name.Local] = a.Value
			}
			parent := &frame{}
			if len(stack) > 0 {
				parent = stack[len(stack)-1]
			}
			if parent.name == "Precondition" && f.name == "Value" {
				parent.values++
			}
			stack = append(stack, f)
			where := describe(stack)
			if len(stack) == 1 && f.name == "TrustFrameworkPolicy" {
				defs = append(defs, mention{space: spacePolicy, id: f.attrs["PolicyId"], where: where})
			}
			if s, ok := definitions(f.name, parent.name); ok {
				defs = append(defs, mention{space: s, id: f.attrs["Id"], where: where})
			}
			if f.name == "TechnicalProfile" && parent.name == "InputTokenSources" {
				refs = append(refs, mention{spaceTechnicalProfile, f.attrs["Id"], where, "InputTokenSources TechnicalProfile"})
			}
			for _, a := range t.Attr {
				if s, ok := referenceAttr(f.name, a.Name.Local); ok {
					refs = append(refs, mention{s, a.Value, where, f.name + " " + a.Name.Local})
				}
			}
			capture = textReference(stack) != ""
			text.Reset()
		case xml.CharData:
			if capture {
				text.Write(t)
			}
		case xml.EndElement:
			if capture {
				if s := textReference(stack); s != "" {
					refs = append(refs, mention{s, strings.TrimSpace(text.String()), describe(stack), textWhat(stack)})
				}
				capture = false
			}
			stack = stack[:len(stack)-1]
		}
	}
}

// textReference tells whether the innermost open element holds a reference as its text: a
// base policy's PolicyId, a ContentDefinitionReferenceId metadata item, or the claim a
// ClaimsExist or ClaimEquals precondition tests (its first Value).
func textReference(stack []*frame) space {
	if len(stack) < 2 {
		return ""
	}
	f, parent := stack[len(stack)-1], stack[len(stack)-2]
	switch {
	case f.name == "PolicyId" && parent.name == "BasePolicy":
		return spacePolicy
	case f.name == "Item" && parent.name == "Metadata" && f.attrs["Key"] == "ContentDefinitionReferenceId":
		return spaceContentDefinition
	case f.name == "Value" && parent.name == "Precondition" && parent.values == 1 &&
		(parent.attrs["Type"] == "ClaimsExist" || parent.attrs["Type"] == "ClaimEquals"):
		return spaceClaimType
	}
	return ""
}

func textWhat(stack []*frame) string {
	f := stack[len(stack)-1]
	switch f.name {
	case "Item":
		return "Metadata ContentDefinitionReferenceId"
	case "Value":
		return "Precondition Value"
	}
	return "BasePolicy PolicyId"
}

// describe names the element a problem is in: the innermost one with an identity, and the
// orchestration step when inside one.
func describe(stack []*frame) string {
	step := ""
	for i := len(stack) - 1; i >= 0; i-- {
		f := stack[i]
		switch f.name {
		case "OrchestrationStep":
			step = " step " + f.attrs["Order"]
		case "TechnicalProfile", "ClaimsTransformation", "ClaimType", "ContentDefinition",
			"UserJourney", "SubJourney":
			if id, ok := f.attrs["Id"]; ok && (f.name != "TechnicalProfile" || i == 0 || stack[i-1].name != "InputTokenSources") {
				return fmt.Sprintf("%s %q%s", f.name, id, step)
			}
		case "RelyingParty", "BasePolicy":
			return f.name
		}
	}
	return "TrustFrameworkPolicy"
}
