package userflow

import (
	"fmt"
	"io"
	"strings"
)

// tokenSteps are the user flow types with the "Before sending the token (preview)" step (Learn,
// add-api-connector-token-enrichment: "This step only exists for Sign up and sign in
// (Recommended), Sign up (Recommended), and Sign in (Recommended) user flows").
var tokenSteps = map[string]bool{"signUpOrSignIn": true, "signUp": true, "signIn": true}

// PrintPortalSteps prints what Graph cannot do, for the flows given (or any flow when none).
//
// Graph documents two API connector steps, postFederationSignup and postAttributeCollection
// (api-reference/v1.0 and beta, resources/userflowapiconnectorconfiguration.md); the token step
// appears as preTokenIssuance only in the beta SDKs generated from Graph's metadata, with no
// reference page, so setup leaves it to the portal. Application claims have no Graph API at all
// (b2cIdentityUserFlow's userAttributeAssignments are the attributes collected at sign-up, not
// the claims in the token).
func PrintPortalSteps(w io.Writer, p Plan, r Result) {
	flows := p.UserFlows
	if len(flows) == 0 {
		flows = []string{"<your sign-up and sign-in user flow>"}
	}
	claims := make([]string, 0, len(p.Attributes()))
	for _, a := range p.Attributes() {
		claims = append(claims, a.Name)
	}
	fmt.Fprintf(w, "\nIn the Azure portal (Azure AD B2C), for each user flow:\n")
	// Graph gives a flow's userFlowTypeVersion but documents no version as "Recommended", so
	// that is left to the administrator to check rather than guessed.
	fmt.Fprintf(w, "  (the \"Before sending the token\" step exists only in Recommended flows: a flow made with the Standard (legacy) version has none, and needs replacing by a Recommended one)\n")
	for _, f := range flows {
		if t, ok := r.FlowTypes[f]; ok && !tokenSteps[t] {
			fmt.Fprintf(w, "  %s is a %s flow: it has no \"Before sending the token\" step; use a Recommended sign-up-and-sign-in, sign-up or sign-in flow\n", f, t)
			continue
		}
		n := 1
		step := func(format string, a ...any) {
			fmt.Fprintf(w, "  %s %d. ", f, n)
			fmt.Fprintf(w, format+"\n", a...)
			n++
		}
		if len(p.UserFlows) == 0 {
			step("User flows > %s > Identity providers: under Custom identity providers, tick %s; Save.", f, p.ProviderName)
		}
		step("User flows > %s > API connectors: at \"Before sending the token (preview)\" select %s; Save.", f, p.ConnectorName)
		step("User flows > %s > Application claims: tick %s; Save.", f, strings.Join(claims, ", "))
		step("Leave those attributes unticked under User flows > %s > User attributes, or sign-up asks the user to type them.", f)
	}
	fmt.Fprintf(w, "The application then receives %s.\n", claimList(p))
}

func claimList(p Plan) string {
	var names []string
	for _, a := range p.Attributes() {
		names = append(names, a.Claim())
	}
	return strings.Join(names, ", ")
}
