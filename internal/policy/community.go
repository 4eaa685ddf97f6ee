package policy

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// CommunitiesSetting names the setting that lists, space separated, the communities a verify
// journey is rendered for.
const CommunitiesSetting = "VerifyCommunities"

// communityToken is a token of a community template, e.g. {Community:Name}.
var communityToken = regexp.MustCompile(`\{Community:([^{}]*)\}`)

// Community is one ID.me community a verify journey can be rendered for.
type Community struct {
	Scope     string // the ID.me scope (policy), and the middle of idme_<scope>_verified
	Name      string // PascalCase, for ids: idme<Name>Verified, B2C_1A_IdmeBridge_Verify<Name>
	Label     string // for titles: "Military verification required"
	Statement string // completes "ID.me could not confirm ..."
	// Extra relying-party output claims (claim type -> the bridge's claim) this community has.
	Extra [][2]string
}

// Communities are those whose idme<Name>Verified claim type the extensions file declares.
func Communities() []Community {
	return []Community{
		{"military", "Military", "Military", "that you serve or have served in the military", [][2]string{
			{"idmeMilitaryBranch", "idme_military_branch"},
			{"idmeMilitaryServiceComponent", "idme_military_service_component"},
			{"idmeMilitaryServiceStarted", "idme_military_service_started"},
		}},
		{"responder", "Responder", "First responder", "that you are a first responder", nil},
		{"student", "Student", "Student", "that you are a student", nil},
		{"teacher", "Teacher", "Teacher", "that you are a teacher", nil},
		{"government", "Government", "Government employee", "that you are a government employee", nil},
		{"employee", "Employee", "Employee", "that you are an employee", nil},
		{"hospital_employee", "HospitalEmployee", "Hospital employee", "that you are a hospital employee", nil},
		{"alumni", "Alumni", "Alumni", "that you are an alumnus", nil},
		{"nurse", "Nurse", "Nurse", "that you are a nurse", nil},
		{"medical", "Medical", "Medical provider", "that you are a medical provider", nil},
	}
}

func community(scope string) (Community, bool) {
	i := slices.IndexFunc(Communities(), func(c Community) bool { return c.Scope == scope })
	if i < 0 {
		return Community{}, false
	}
	return Communities()[i], true
}

// isCommunityTemplate tells a file that is rendered once per community.
func isCommunityTemplate(data []byte) bool { return communityToken.Match(data) }

// communityFileName is the rendered name: the word Community in the template's name becomes
// the community's Name (VerifyCommunityWithIdme.xml -> VerifyMilitaryWithIdme.xml).
func communityFileName(template string, c Community) string {
	if strings.Contains(template, "Community") {
		return strings.Replace(template, "Community", c.Name, 1)
	}
	return strings.TrimSuffix(template, ".xml") + "." + c.Name + ".xml"
}

// ExpandCommunities writes one file per listed community for every community template in files
// and leaves the other files as they are. scopes is the VerifyCommunities setting's value.
func ExpandCommunities(files map[string][]byte, scopes string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(files))
	var list []Community
	for _, s := range strings.Fields(scopes) {
		c, ok := community(s)
		if !ok {
			var known []string
			for _, k := range Communities() {
				known = append(known, k.Scope)
			}
			return nil, fmt.Errorf("policy: %s names %q, which is not one of %s", CommunitiesSetting, s, strings.Join(known, ", "))
		}
		if !slices.ContainsFunc(list, func(x Community) bool { return x.Scope == s }) {
			list = append(list, c)
		}
	}
	for name, data := range files {
		if !isCommunityTemplate(data) {
			out[name] = data
			continue
		}
		if len(list) == 0 {
			return nil, fmt.Errorf("%w: %s is a community template and %s lists no community", ErrMissingSettings, name, CommunitiesSetting)
		}
		for _, c := range list {
			rendered, err := renderCommunity(data, c)
			if err != nil {
				return nil, fmt.Errorf("policy: %s: %w", name, err)
			}
			out[communityFileName(name, c)] = rendered
		}
	}
	return out, nil
}

func renderCommunity(data []byte, c Community) ([]byte, error) {
	var unknown []string
	out := communityToken.ReplaceAllFunc(data, func(token []byte) []byte {
		key := string(communityToken.FindSubmatch(token)[1])
		var v string
		switch key {
		case "Name":
			v = c.Name
		case "Scope":
			v = c.Scope
		case "Label":
			v = c.Label
		case "Statement":
			v = c.Statement
		case "OutputClaims":
			// Markup, not text: built from the table, whose values are plain identifiers.
			var b strings.Builder
			for _, e := range c.Extra {
				fmt.Fprintf(&b, "\n        <OutputClaim ClaimTypeReferenceId=%q PartnerClaimType=%q />", e[0], e[1])
			}
			return []byte(b.String())
		default:
			unknown = append(unknown, string(token))
			return token
		}
		var b bytes.Buffer
		_ = xml.EscapeText(&b, []byte(v)) // writes to a bytes.Buffer cannot fail
		return b.Bytes()
	})
	if len(unknown) > 0 {
		return nil, fmt.Errorf("unknown community token %s", strings.Join(unknown, ", "))
	}
	return out, nil
}
