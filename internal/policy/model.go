package policy

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
)

// document is the part of a TrustFrameworkPolicy the checks read as structure. References in
// attributes are found by walking every element instead (see refs.go), so that an element this
// model leaves out cannot hide a broken reference.
type document struct {
	PolicyID        string           `xml:"PolicyId,attr"`
	Base            *basePolicy      `xml:"BasePolicy"`
	ClaimTypes      []claimType      `xml:"BuildingBlocks>ClaimsSchema>ClaimType"`
	ClaimsProviders []claimsProvider `xml:"ClaimsProviders>ClaimsProvider"`
	Journeys        []journey        `xml:"UserJourneys>UserJourney"`
	SubJourneys     []journey        `xml:"SubJourneys>SubJourney"`
	Transformations []transformation `xml:"BuildingBlocks>ClaimsTransformations>ClaimsTransformation"`
	RelyingParty    *relyingParty    `xml:"RelyingParty"`
}

type relyingParty struct {
	DefaultUserJourney reference  `xml:"DefaultUserJourney"`
	Endpoints          []endpoint `xml:"Endpoints>Endpoint"`
	OutputClaims       []claimRef `xml:"TechnicalProfile>OutputClaims>OutputClaim"`
}

// endpoint is a relying party's Endpoint: the journey B2C runs for a request to it (Token: a
// refresh token redeemed).
type endpoint struct {
	ID      string `xml:"Id,attr"`
	Journey string `xml:"UserJourneyReferenceId,attr"`
}

type transformation struct {
	ID           string                `xml:"Id,attr"`
	Method       string                `xml:"TransformationMethod,attr"`
	InputClaims  []transformationClaim `xml:"InputClaims>InputClaim"`
	Parameters   []parameter           `xml:"InputParameters>InputParameter"`
	OutputClaims []transformationClaim `xml:"OutputClaims>OutputClaim"`
}

type transformationClaim struct {
	ClaimTypeReferenceID    string `xml:"ClaimTypeReferenceId,attr"`
	TransformationClaimType string `xml:"TransformationClaimType,attr"`
}

type parameter struct {
	ID    string `xml:"Id,attr"`
	Value string `xml:"Value,attr"`
}

type basePolicy struct {
	PolicyID string `xml:"PolicyId"`
}

type claimType struct {
	ID       string            `xml:"Id,attr"`
	DataType string            `xml:"DataType"`
	Defaults []partnerProtocol `xml:"DefaultPartnerClaimTypes>Protocol"`
}

type partnerProtocol struct {
	Name             string `xml:"Name,attr"`
	PartnerClaimType string `xml:"PartnerClaimType,attr"`
}

type claimsProvider struct {
	Profiles []technicalProfile `xml:"TechnicalProfiles>TechnicalProfile"`
}

type technicalProfile struct {
	ID                string     `xml:"Id,attr"`
	Protocol          *protocol  `xml:"Protocol"`
	OutputTokenFormat string     `xml:"OutputTokenFormat"`
	Metadata          []item     `xml:"Metadata>Item"`
	Keys              []key      `xml:"CryptographicKeys>Key"`
	OutputClaims      []claimRef `xml:"OutputClaims>OutputClaim"`
	Include           *reference `xml:"IncludeTechnicalProfile"`
	IncludeInSso      *string    `xml:"IncludeInSso"`

	InputClaims           []claimRef  `xml:"InputClaims>InputClaim"`
	PersistedClaims       []claimRef  `xml:"PersistedClaims>PersistedClaim"`
	InputTransformations  []reference `xml:"InputClaimsTransformations>InputClaimsTransformation"`
	OutputTransformations []reference `xml:"OutputClaimsTransformations>OutputClaimsTransformation"`
	Validations           []reference `xml:"ValidationTechnicalProfiles>ValidationTechnicalProfile"`
	SessionManagement     *reference  `xml:"UseTechnicalProfileForSessionManagement"`
}

type protocol struct {
	Name    string `xml:"Name,attr"`
	Handler string `xml:"Handler,attr"`
}

type item struct {
	Key   string `xml:"Key,attr"`
	Value string `xml:",chardata"`
}

type key struct {
	ID                 string `xml:"Id,attr"`
	StorageReferenceID string `xml:"StorageReferenceId,attr"`
}

type claimRef struct {
	ClaimTypeReferenceID  string `xml:"ClaimTypeReferenceId,attr"`
	PartnerClaimType      string `xml:"PartnerClaimType,attr"`
	DefaultValue          string `xml:"DefaultValue,attr"`
	AlwaysUseDefaultValue bool   `xml:"AlwaysUseDefaultValue,attr"`
	Required              bool   `xml:"Required,attr"`
}

type reference struct {
	ReferenceID string `xml:"ReferenceId,attr"`
}

type journey struct {
	ID    string `xml:"Id,attr"`
	Steps []step `xml:"OrchestrationSteps>OrchestrationStep"`
}

type step struct {
	Order         int            `xml:"Order,attr"`
	Type          string         `xml:"Type,attr"`
	Preconditions []precondition `xml:"Preconditions>Precondition"`
	Selections    []selection    `xml:"ClaimsProviderSelections>ClaimsProviderSelection"`
	Exchanges     []exchange     `xml:"ClaimsExchanges>ClaimsExchange"`
}

type precondition struct {
	Type             string   `xml:"Type,attr"`
	ExecuteActionsIf bool     `xml:"ExecuteActionsIf,attr"`
	Values           []string `xml:"Value"`
	Action           string   `xml:"Action"`
}

type selection struct {
	TargetClaimsExchangeID     string `xml:"TargetClaimsExchangeId,attr"`
	ValidationClaimsExchangeID string `xml:"ValidationClaimsExchangeId,attr"`
}

type exchange struct {
	ID        string `xml:"Id,attr"`
	ProfileID string `xml:"TechnicalProfileReferenceId,attr"`
}

// parsed is one policy file, both as bytes (for the element walk) and as structure.
type parsed struct {
	name string
	data []byte
	doc  document
}

func parse(name string, data []byte) (parsed, error) {
	var doc document
	dec := xml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return parsed{}, fmt.Errorf("policy: parse %s: %w", name, err)
	}
	return parsed{name: name, data: data, doc: doc}, nil
}

// profiles lists the technical profiles a file defines (not the relying party's own).
func (d document) profiles() []technicalProfile {
	var out []technicalProfile
	for _, cp := range d.ClaimsProviders {
		out = append(out, cp.Profiles...)
	}
	return out
}

func (tp technicalProfile) metadata(key string) (string, bool) {
	for _, it := range tp.Metadata {
		if it.Key == key {
			return strings.TrimSpace(it.Value), true
		}
	}
	return "", false
}
