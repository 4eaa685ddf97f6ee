package app

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"idmebridge/internal/idmesim"
)

const (
	susiPolicy   = "SignUpOrSignInWithIdme.xml"
	linkPolicy   = "LinkIdmeAccount.xml"
	unlinkPolicy = "UnlinkIdmeAccount.xml"
)

// wantVerification checks the token's ID.me claims against what ID.me verified for persona
// among the scopes asked: every community boolean, the group lists (left out when empty, never
// []), and ID.me's names.
func wantVerification(t *testing.T, token map[string]any, persona idmesim.Persona, scopes ...string) {
	t.Helper()
	var groups, subgroups []string
	for _, s := range persona.Status {
		if s.Verified && slices.Contains(scopes, s.Group) {
			groups = append(groups, s.Group)
			subgroups = append(subgroups, s.Subgroups...)
		}
	}
	for _, g := range []string{"military", "responder", "student", "teacher"} {
		want := slices.Contains(groups, g)
		if got, ok := token["idme_"+g+"_verified"]; !ok || got != want {
			t.Errorf("idme_%s_verified = %v (present %v), want %v", g, got, ok, want)
		}
	}
	for claim, want := range map[string][]string{"idme_groups": groups, "idme_subgroups": subgroups} {
		got, ok := token[claim]
		if len(want) == 0 {
			if ok {
				t.Errorf("%s = %#v, want it left out", claim, got)
			}
			continue
		}
		if list, _ := got.([]string); !slices.Equal(slices.Sorted(slices.Values(list)), slices.Sorted(slices.Values(want))) {
			t.Errorf("%s = %#v, want %v", claim, got, want)
		}
	}
	if got, want := token["given_name"], attrValue(persona, "fname"); got != want {
		t.Errorf("given_name = %v, want ID.me's %q", got, want)
	}
	if got, want := token["family_name"], attrValue(persona, "lname"); got != want {
		t.Errorf("family_name = %v, want ID.me's %q", got, want)
	}
}

// satisfies tells whether ID.me lets persona finish a sign-in that asks for one of groups.
func satisfies(p idmesim.Persona, groups ...string) bool {
	return slices.ContainsFunc(p.Status, func(s idmesim.Status) bool { return s.Verified && slices.Contains(groups, s.Group) })
}

// deniedAtIdme is a sign-in ID.me refused: a persona who does not meet the asked policy may be
// stopped there (ID.me's rule); then B2C shows an error and no account is made.
func deniedAtIdme(r journeyResult) bool {
	return r.err != nil && strings.Contains(r.err.Error(), "access_denied")
}

func persona(t *testing.T, id string) idmesim.Persona {
	t.Helper()
	for _, p := range idmesim.Personas() {
		if p.ID == id {
			return p
		}
	}
	t.Fatalf("no persona %s", id)
	return idmesim.Persona{}
}

// Two sign-ins in one B2C session, for every persona: the second must carry the same account
// and every ID.me claim again. With the starter pack's SM-SocialLogin on the bridge's profile
// the second sign-in skips the bridge and gets back only alternativeSecurityId, and this test
// fails (TestSessionModelLosesClaimsWithSocialLogin shows the model doing so).
func TestB2CSignUpOrSignInTwiceInOneSession(t *testing.T) {
	w := newWorld(t)
	files := w.renderedFiles(nil)
	for _, p := range idmesim.Personas() {
		if p.Cancels {
			continue
		}
		t.Run(p.ID, func(t *testing.T) {
			b2c := newB2CTenant(t, w, files)
			user := browserUser{persona: p.ID}
			first := b2c.run(susiPolicy, user)
			if deniedAtIdme(first) && !satisfies(p, "military") {
				t.Logf("ID.me stopped %s, who is not military: %v", p.ID, first.err)
				if len(b2c.dir.users) != 0 {
					t.Errorf("%d directory users after a refused sign-in", len(b2c.dir.users))
				}
				return
			}
			if first.err != nil || first.page != "" {
				t.Fatalf("first sign-in: %v %s", first.err, first.page)
			}
			second := b2c.run(susiPolicy, user)
			if second.err != nil || second.page != "" {
				t.Fatalf("second sign-in: %v %s", second.err, second.page)
			}
			for i, r := range []journeyResult{first, second} {
				t.Run(fmt.Sprint("sign-in ", i+1), func(t *testing.T) {
					wantVerification(t, r.token, p, "military")
					if r.token["sub"] != first.token["sub"] || r.token["sub"] == nil {
						t.Errorf("sub = %v, first sign-in's was %v", r.token["sub"], first.token["sub"])
					}
					if r.token["idp"] != "id.me" {
						t.Errorf("idp = %v", r.token["idp"])
					}
				})
			}
			if len(b2c.dir.users) != 1 {
				t.Errorf("%d directory users, want 1", len(b2c.dir.users))
			}
			if b2c.bridgeCalls != 2 {
				t.Errorf("the bridge was called %d times, want once per sign-in", b2c.bridgeCalls)
			}
		})
	}
}

// The model must behave as B2C does with the session provider the XML names: switch the
// bridge's profile back to the starter pack's SM-SocialLogin and the second sign-in loses the
// verification, exactly the failure the shipped policy avoids.
func TestSessionModelLosesClaimsWithSocialLogin(t *testing.T) {
	w := newWorld(t)
	files := w.renderedFiles(nil)
	ext := "TrustFrameworkExtensions.IdmeBridge.xml"
	const noop = `<UseTechnicalProfileForSessionManagement ReferenceId="SM-Noop" />`
	if !strings.Contains(string(files[ext]), noop) {
		t.Fatal("the bridge's profile names no SM-Noop")
	}
	// The first SM-Noop in the file is the bridge profile's.
	files[ext] = []byte(strings.Replace(string(files[ext]), noop, `<UseTechnicalProfileForSessionManagement ReferenceId="SM-SocialLogin" />`, 1))
	b2c := newB2CTenant(t, w, files)
	user := browserUser{persona: "veteran"}
	first := b2c.run(susiPolicy, user)
	second := b2c.run(susiPolicy, user)
	if first.err != nil || second.err != nil {
		t.Fatalf("%v / %v", first.err, second.err)
	}
	if first.token["idme_military_verified"] != true {
		t.Fatalf("first sign-in: %v", first.token)
	}
	if _, ok := second.token["idme_military_verified"]; ok || second.token["sub"] != first.token["sub"] || b2c.bridgeCalls != 1 {
		t.Errorf("with SM-SocialLogin the second sign-in should skip the bridge and keep only the account: %v (bridge calls %d)",
			second.token, b2c.bridgeCalls)
	}
}

// A returning user's directory names are replaced by what ID.me verified, and the token
// carries ID.me's; a tenant that opts in to editing gets the starter pack's behaviour.
func TestB2CVerifiedNames(t *testing.T) {
	w := newWorld(t)
	vera := persona(t, "veteran")
	t.Run("verified", func(t *testing.T) {
		b2c := newB2CTenant(t, w, w.renderedFiles(nil))
		u := b2c.dir.add(&dirUser{identities: []identity{{"id.me", vera.UUID}},
			attrs: map[string]string{"givenName": "Edited", "surname": "ByHand", "displayName": "Edited ByHand"}})
		r := b2c.run(susiPolicy, browserUser{persona: vera.ID, editNames: map[string]string{"givenName": "Nope"}})
		if r.err != nil {
			t.Fatal(r.err)
		}
		wantVerification(t, r.token, vera, "military")
		if r.token["sub"] != u.objectID {
			t.Errorf("sub = %v, want the existing account %s", r.token["sub"], u.objectID)
		}
		if u.attrs["givenName"] != "Vera" || u.attrs["surname"] != "Veteran" || u.attrs["displayName"] != "Vera Veteran" {
			t.Errorf("directory names %v, want ID.me's", u.attrs)
		}
	})
	t.Run("editable", func(t *testing.T) {
		b2c := newB2CTenant(t, w, w.renderedFiles(map[string]string{"IdmeNameEditing": "Editable"}))
		user := browserUser{persona: vera.ID, editNames: map[string]string{"givenName": "Vee", "displayName": "Vee Veteran"}}
		for i := range 2 {
			b2c.newBrowserSession()
			r := b2c.run(susiPolicy, user)
			if r.err != nil {
				t.Fatal(r.err)
			}
			if r.token["given_name"] != "Vee" || r.token["name"] != "Vee Veteran" || r.token["idme_military_verified"] != true {
				t.Errorf("sign-in %d: %v, want the user's edited names and ID.me's verification", i+1, r.token)
			}
		}
	})
}

// An existing local-account customer links ID.me: the token keeps that customer's sub and
// carries the verification; later ID.me sign-ins reach the same account; nobody can link an
// ID.me identity another account holds; unlinking lets it go.
func TestB2CLinkIdmeToLocalAccount(t *testing.T) {
	w := newWorld(t)
	b2c := newB2CTenant(t, w, w.renderedFiles(nil))
	vera := persona(t, "veteran")
	// Alice also has another federated identity, which linking and unlinking must keep.
	google := identity{"google.com", "alice-google-id"}
	alice := b2c.dir.add(&dirUser{signInName: "alice@example.com", password: "pw", identities: []identity{google},
		attrs: map[string]string{"givenName": "Alice", "surname": "Local", "displayName": "Alice Local"}})
	local := browserUser{chooseLocal: true, signInName: "alice@example.com", password: "pw", persona: vera.ID}

	// Alice is signed in with her local account, then links in the same session.
	if r := b2c.run(susiPolicy, local); r.err != nil || r.token["sub"] != alice.objectID {
		t.Fatalf("local sign-in: %v %v", r.err, r.token)
	}
	linked := b2c.run(linkPolicy, browserUser{persona: vera.ID}) // no password: the session has her
	if linked.err != nil || linked.page != "" {
		t.Fatalf("link: %v %s", linked.err, linked.page)
	}
	if linked.token["sub"] != alice.objectID {
		t.Errorf("link token sub = %v, want the local account %s", linked.token["sub"], alice.objectID)
	}
	wantVerification(t, linked.token, vera, "military")
	if !slices.Equal(alice.identities, []identity{google, {"id.me", vera.UUID}}) {
		t.Errorf("the ID.me identity was not added to the local account's identities: %v", alice.identities)
	}

	// Alice links again later (to verify afresh): the same account and a fresh verification,
	// not the page for an identity another account holds, and no second copy of the identity.
	b2c.newBrowserSession()
	again := b2c.run(linkPolicy, local)
	if again.err != nil || again.page != "" || again.token["sub"] != alice.objectID {
		t.Errorf("linking again: %v page %q sub %v", again.err, again.page, again.token["sub"])
	}
	wantVerification(t, again.token, vera, "military")
	if !slices.Equal(alice.identities, []identity{google, {"id.me", vera.UUID}}) {
		t.Errorf("identities after linking again: %v", alice.identities)
	}

	// Signing in with ID.me now, in a new browser, reaches Alice's account: no duplicate.
	b2c.newBrowserSession()
	r := b2c.run(susiPolicy, browserUser{persona: vera.ID})
	if r.err != nil || r.token["sub"] != alice.objectID || len(b2c.dir.users) != 1 {
		t.Errorf("ID.me sign-in after linking: %v sub %v, %d users", r.err, r.token["sub"], len(b2c.dir.users))
	}

	// Bob cannot link the identity Alice holds, even posting the hidden Continue.
	bob := b2c.dir.add(&dirUser{signInName: "bob@example.com", password: "pw2"})
	for _, post := range []bool{false, true} {
		b2c.newBrowserSession()
		r := b2c.run(linkPolicy, browserUser{chooseLocal: true, signInName: "bob@example.com", password: "pw2", persona: vera.ID,
			postHiddenContinue: post, postClaims: map[string]any{"idmeBridgeLinkAllowed": true}})
		if r.page != "IdmeBridge-AlreadyLinked" || len(bob.identities) != 0 {
			t.Errorf("linking an identity already held (post anyway %v): %+v, bob's identities %v", post, r, bob.identities)
		}
	}

	// Alice unlinks; an ID.me sign-in then makes a new account rather than reaching hers.
	b2c.newBrowserSession()
	if r := b2c.run(unlinkPolicy, confirmUnlink(local)); r.err != nil || r.token["sub"] != alice.objectID {
		t.Fatalf("unlink: %v %v", r.err, r.token)
	}
	if !slices.Equal(alice.identities, []identity{google}) {
		t.Errorf("identities after unlink: %v, want only %v", alice.identities, google)
	}
	b2c.newBrowserSession()
	if r := b2c.run(susiPolicy, browserUser{persona: vera.ID}); r.err != nil || r.token["sub"] == alice.objectID {
		t.Errorf("ID.me sign-in after unlinking: %v sub %v", r.err, r.token["sub"])
	}
}

// A tenant that used Microsoft's direct ID.me profile (identityProvider me.id.com,
// issuerUserId the ID.me uuid) keeps its accounts by setting IdmeIdentityProvider.
func TestB2CMigrationFromMicrosoftsIdmeProfile(t *testing.T) {
	w := newWorld(t)
	vera := persona(t, "veteran")
	for _, tt := range []struct {
		provider  string
		wantUsers int
	}{{"me.id.com", 1}, {"id.me", 2}} {
		t.Run(tt.provider, func(t *testing.T) {
			b2c := newB2CTenant(t, w, w.renderedFiles(map[string]string{"IdmeIdentityProvider": tt.provider}))
			existing := b2c.dir.add(&dirUser{identities: []identity{{"me.id.com", vera.UUID}}})
			r := b2c.run(susiPolicy, browserUser{persona: vera.ID})
			if r.err != nil {
				t.Fatal(r.err)
			}
			if len(b2c.dir.users) != tt.wantUsers || (tt.wantUsers == 1) != (r.token["sub"] == existing.objectID) {
				t.Errorf("identityProvider %s: %d users, sub %v (existing %s)", tt.provider, len(b2c.dir.users), r.token["sub"], existing.objectID)
			}
		})
	}
}

// Each community's verify policy issues only for someone ID.me verified in it, and makes no
// account for anyone else.
func TestB2CVerifyCommunities(t *testing.T) {
	w := newWorld(t)
	files := w.renderedFiles(nil)
	for _, tt := range []struct{ policy, group string }{
		{"VerifyMilitaryWithIdme.xml", "military"}, {"VerifyStudentWithIdme.xml", "student"},
		{"VerifyResponderWithIdme.xml", "responder"}, {"VerifyTeacherWithIdme.xml", "teacher"},
	} {
		for _, p := range idmesim.Personas() {
			if p.Cancels {
				continue
			}
			t.Run(tt.group+"/"+p.ID, func(t *testing.T) {
				b2c := newB2CTenant(t, w, files)
				r := b2c.run(tt.policy, browserUser{persona: p.ID})
				verified := slices.ContainsFunc(p.Status, func(s idmesim.Status) bool { return s.Group == tt.group && s.Verified })
				if verified {
					if r.err != nil || r.page != "" || r.token["idme_"+tt.group+"_verified"] != true || len(b2c.dir.users) != 1 {
						t.Fatalf("verified %s: %+v", tt.group, r)
					}
					return
				}
				// ID.me itself may stop the user (access_denied) or the policy's page does.
				denied := r.page == "IdmeBridge-"+strings.ToUpper(tt.group[:1])+tt.group[1:]+"Required" ||
					(r.err != nil && strings.Contains(r.err.Error(), "access_denied"))
				if !denied || r.token != nil || len(b2c.dir.users) != 0 {
					t.Errorf("not verified as %s: %+v, %d users", tt.group, r, len(b2c.dir.users))
				}
			})
		}
	}
}

// A person ID.me verified in nothing: a tenant asking only for a sign-in (ID.me's login
// policy) lets them through, twice in one session, and the token leaves the empty group lists
// out (B2C fails issuing a token with an empty stringCollection) while every boolean says false.
func TestB2CSignInWithNoVerifiedGroup(t *testing.T) {
	w := newWorld(t)
	b2c := newB2CTenant(t, w, w.renderedFiles(map[string]string{"IdmeScopes": "login"}))
	uma := persona(t, "unverified")
	for i := range 2 {
		r := b2c.run(susiPolicy, browserUser{persona: uma.ID})
		if r.err != nil || r.page != "" {
			t.Fatalf("sign-in %d: %v %s", i+1, r.err, r.page)
		}
		wantVerification(t, r.token, uma, "login")
		for _, list := range []string{"idme_groups", "idme_subgroups"} {
			if v, ok := r.token[list]; ok {
				t.Errorf("sign-in %d: %s = %#v, want it left out", i+1, list, v)
			}
		}
		if r.token["idme_identity_verified"] != false {
			t.Errorf("sign-in %d: idme_identity_verified = %v, want false", i+1, r.token["idme_identity_verified"])
		}
	}
	if len(b2c.dir.users) != 1 {
		t.Errorf("%d directory users, want 1", len(b2c.dir.users))
	}
}

// The verify policy's own check, behind ID.me's: when ID.me lets someone through without the
// community (here the profile asks ID.me for a plain sign-in, as a tenant's edited copy or a
// change at ID.me could), the journey ends on the page saying why, whatever the browser posts,
// and makes no account.
func TestB2CVerifyPageStopsTheUnverified(t *testing.T) {
	w := newWorld(t)
	files := w.renderedFiles(nil)
	const file, scope = "VerifyMilitaryWithIdme.xml", `<Item Key="scope">openid military</Item>`
	if !strings.Contains(string(files[file]), scope) {
		t.Fatalf("%s has no %s", file, scope)
	}
	files[file] = []byte(strings.Replace(string(files[file]), scope, `<Item Key="scope">openid login</Item>`, 1))
	eachReading(t, varyPages, func(t *testing.T, reading readings) {
		for _, id := range []string{"student", "unverified"} {
			for _, forged := range []browserUser{
				{persona: id},
				{persona: id, postHiddenContinue: true},
				{persona: id, postHiddenContinue: true, postClaims: map[string]any{"idmeMilitaryVerified": true}},
			} {
				b2c := newB2CTenantReading(t, w, files, reading)
				r := b2c.run(file, forged)
				if !stopped(r, "IdmeBridge-MilitaryRequired") || len(b2c.dir.users) != 0 {
					t.Errorf("%s (post %v, claims %v): %+v, %d users", id, forged.postHiddenContinue, forged.postClaims, r, len(b2c.dir.users))
				}
			}
		}
	})
}

// confirmUnlink is the customer ticking the unlink page's box.
func confirmUnlink(u browserUser) browserUser {
	u.postClaims = map[string]any{"idmeBridgeUnlinkConfirmed": "unlink"}
	return u
}
