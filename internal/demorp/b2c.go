package demorp

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"

	"idmebridge/internal/policy"
)

// The parts of the shipped policy files the demo shows.
const (
	signInProfileID     = policy.BridgeProfileID     // the sign-up/sign-in journey's exchange
	verifyProfileID     = "IdmeBridge-OIDC-Military" // the verify-military journey's exchange
	verifyStepProfileID = "IdmeBridge-MilitaryRequired"
	verifyMessageID     = "IdmeBridge-CreateMilitaryRequiredMessage"
)

// B2CPolicy is the shipped B2C policy, rendered for the bridge the demo signs in to: what B2C
// would ask for and what it would keep of the id_token.
type B2CPolicy struct {
	// SignIn and Verify are the OpenIdConnect technical profiles of the sign-up/sign-in and
	// verify-military journeys.
	SignIn, Verify policy.OIDCProfile
	// VerifyStep is the verify journey's page for someone ID.me did not verify as military.
	VerifyStep VerificationStep
}

// VerificationStep is the verification-required page of the verify journey.
type VerificationStep struct {
	Title, Message string
}

// LoadB2CPolicy renders the policy templates in dir with env's values (the bridge's URL and
// the demo's client id) and reads the profiles and the verification step out of them.
func LoadB2CPolicy(dir string, env policy.Environment) (*B2CPolicy, error) {
	src, err := policy.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	files, err := policy.RenderFiles(src, env)
	if err != nil {
		return nil, err
	}
	var p B2CPolicy
	if p.SignIn, err = policy.FindOIDCProfile(files, signInProfileID); err != nil {
		return nil, err
	}
	if p.Verify, err = policy.FindOIDCProfile(files, verifyProfileID); err != nil {
		return nil, err
	}
	if p.VerifyStep, err = findVerificationStep(files); err != nil {
		return nil, err
	}
	return &p, nil
}

// findVerificationStep reads the step's display name and the message its claims
// transformation creates.
func findVerificationStep(files map[string][]byte) (VerificationStep, error) {
	var step VerificationStep
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := scanVerificationStep(files[name], &step); err != nil {
			return step, fmt.Errorf("demorp: read %s: %w", name, err)
		}
	}
	if step.Title == "" || step.Message == "" {
		return step, fmt.Errorf("demorp: the policy files define no %s step with a %s message", verifyStepProfileID, verifyMessageID)
	}
	return step, nil
}

// scanVerificationStep walks one file's elements, keeping the ids of the enclosing elements.
func scanVerificationStep(data []byte, step *VerificationStep) error {
	dec := xml.NewDecoder(bytes.NewReader(data))
	var ids []string // the Id attribute of each open element, "" when it has none
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			id := attr(t, "Id")
			switch {
			case t.Name.Local == "InputParameter" && id == "value" && slices.Contains(ids, verifyMessageID):
				step.Message = attr(t, "Value")
			case t.Name.Local == "DisplayName" && len(ids) > 0 && ids[len(ids)-1] == verifyStepProfileID:
				var text string
				if err := dec.DecodeElement(&text, &t); err != nil {
					return err
				}
				step.Title = text
				continue // DecodeElement consumed the end element
			}
			ids = append(ids, id)
		case xml.EndElement:
			if len(ids) > 0 {
				ids = ids[:len(ids)-1]
			}
		}
	}
}

func attr(e xml.StartElement, name string) string {
	for _, a := range e.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}
