package app

import (
	"slices"
	"strings"
	"testing"
)

const verifyMilitaryPolicy = "VerifyMilitaryWithIdme.xml"

// Which readings a test varies: each test varies those its behaviour can depend on, so the
// suite stays quick.
const (
	varySSO     = 1 << iota // includeInSsoHonoured
	varyPages               // skipsFilledPages
	varyRefresh             // refreshCopiesClaims
)

// eachReading runs f once per combination of the readings in vary (the others at false): the
// policies must be right under every reading the model makes where Microsoft's documentation
// is silent.
func eachReading(t *testing.T, vary int, f func(t *testing.T, r readings)) {
	t.Helper()
	for _, r := range allReadings() {
		if (r.includeInSsoHonoured && vary&varySSO == 0) || (r.skipsFilledPages && vary&varyPages == 0) ||
			(r.refreshCopiesClaims && vary&varyRefresh == 0) {
			continue
		}
		t.Run(r.String(), func(t *testing.T) { f(t, r) })
	}
}

func issued(t *testing.T, what string, r journeyResult) {
	t.Helper()
	if r.err != nil || r.page != "" || r.token == nil {
		t.Fatalf("%s: err %v, page %q", what, r.err, r.page)
	}
}

// stopped is a journey that ended without a token: on its page, or on the error of the
// non-interactive step behind the page when the page was skipped or posted past.
func stopped(r journeyResult, page string) bool {
	return r.token == nil && (r.page == page || (r.page == "" && r.err != nil))
}

// A brand-new ID.me user signs in twice in one browser, and verifies then signs in: no ID.me
// step may make the browser a session participant that a later sign-in page is satisfied
// from, and no step that needs alternativeSecurityId may run without it.
func TestB2CNewIdmeUserSignsInTwiceInOneBrowser(t *testing.T) {
	w := newWorld(t)
	files := w.renderedFiles(nil)
	vera := persona(t, "veteran")
	eachReading(t, varySSO, func(t *testing.T, r readings) {
		for _, first := range []string{susiPolicy, verifyMilitaryPolicy} {
			t.Run(first+" then sign-in", func(t *testing.T) {
				b2c := newB2CTenantReading(t, w, files, r)
				one := b2c.run(first, browserUser{persona: vera.ID})
				issued(t, "first", one)
				two := b2c.run(susiPolicy, browserUser{persona: vera.ID})
				issued(t, "second", two)
				if two.token["sub"] != one.token["sub"] || len(b2c.dir.users) != 1 {
					t.Errorf("second sign-in sub %v, first %v, %d users", two.token["sub"], one.token["sub"], len(b2c.dir.users))
				}
				wantVerification(t, two.token, vera, "military")
				if two.token["idme_subject"] != vera.UUID {
					t.Errorf("idme_subject = %v, want ID.me's uuid", two.token["idme_subject"])
				}
			})
		}
		// With tenant-wide SSO, another policy's social sign-up through the starter pack's write
		// leaves an SM-AAD session of an account that has no alternativeSecurityId in this run.
		t.Run("session from another journey's social sign-up", func(t *testing.T) {
			b2c := newB2CTenantReading(t, w, files, r)
			other := b2c.dir.add(&dirUser{identities: []identity{{"facebook.com", "fb-1"}}, attrs: map[string]string{"displayName": "Fay"}})
			b2c.session["SM-AAD"] = map[string]any{"objectId": other.objectID, "authenticationSource": "socialIdpAuthentication", "identityProvider": "facebook.com"}
			got := b2c.run(susiPolicy, browserUser{persona: vera.ID})
			issued(t, "sign-in", got)
			if r.includeInSsoHonoured {
				return // the sign-in page is shown and the user goes through ID.me
			}
			if got.token["sub"] != other.objectID || got.token["name"] != "Fay" {
				t.Errorf("the session's account should be signed in: %v", got.token)
			}
		})
	})
}

// The rebuilt session model must see the defect the starter pack's write brings: pointed back
// at AAD-UserWriteUsingAlternativeSecurityId (SM-AAD), a new ID.me user's write makes the
// browser an SM-AAD participant when IncludeInSso false does not keep it out, and the next
// sign-in page is satisfied from that session: the bridge is skipped and the token carries no
// verification (with steps that need alternativeSecurityId unguarded, the journey fails
// instead: "A claim could not be found for lookup claim with id alternativeSecurityId",
// starter pack issue #67).
func TestSessionModelSeesStarterPackWriteJoinSMAAD(t *testing.T) {
	w := newWorld(t)
	files := w.renderedFiles(nil)
	const ours, starter = `TechnicalProfileReferenceId="IdmeBridge-AAD-UserWriteUsingAlternativeSecurityId"`, `TechnicalProfileReferenceId="AAD-UserWriteUsingAlternativeSecurityId"`
	ext := "TrustFrameworkExtensions.IdmeBridge.xml"
	if !strings.Contains(string(files[ext]), ours) {
		t.Fatalf("%s does not write new ID.me users with its own profile", ext)
	}
	files[ext] = []byte(strings.ReplaceAll(string(files[ext]), ours, starter))
	for _, honoured := range []bool{false, true} {
		b2c := newB2CTenantReading(t, w, files, readings{includeInSsoHonoured: honoured})
		issued(t, "first", b2c.run(susiPolicy, browserUser{persona: "veteran"}))
		second := b2c.run(susiPolicy, browserUser{persona: "veteran"})
		_, verified := second.token["idme_military_verified"]
		if fromSession := b2c.bridgeCalls == 1 && !verified; fromSession == honoured {
			t.Errorf("IncludeInSso honoured %v: bridge calls %d, second token %v", honoured, b2c.bridgeCalls, second.token)
		}
	}
}

// Refresh tokens go through the directory: a disabled, deleted, revoked or unlinked account
// stops refreshing, and a refreshed token carries the sign-in's ID.me claims with the time
// ID.me's answer was read.
func TestB2CRefresh(t *testing.T) {
	w := newWorld(t)
	files := w.renderedFiles(nil)
	vera := persona(t, "veteran")
	eachReading(t, varyRefresh, func(t *testing.T, r readings) {
		fresh := func(t *testing.T) (*b2cTenant, journeyResult, *dirUser) {
			b2c := newB2CTenantReading(t, w, files, r)
			signIn := b2c.run(susiPolicy, browserUser{persona: vera.ID})
			issued(t, "sign-in", signIn)
			return b2c, signIn, b2c.dir.byIdentity(identity{"id.me", vera.UUID})
		}
		t.Run("still good", func(t *testing.T) {
			b2c, signIn, _ := fresh(t)
			got := b2c.refresh(susiPolicy, signIn)
			issued(t, "refresh", got)
			for _, c := range []string{"sub", "idme_subject", "idme_verified_at", "idme_military_verified", "name"} {
				if got.token[c] != signIn.token[c] || got.token[c] == nil {
					t.Errorf("refreshed %s = %v, sign-in's %v", c, got.token[c], signIn.token[c])
				}
			}
		})
		for name, change := range map[string]func(*b2cTenant, *dirUser){
			"disabled": func(_ *b2cTenant, u *dirUser) { u.disabled = true },
			"deleted":  func(b *b2cTenant, u *dirUser) { b.dir.delete(u.objectID) },
			"revoked":  func(b *b2cTenant, u *dirUser) { u.refreshValidFrom = b.clock + 1 },
			"unlinked": func(_ *b2cTenant, u *dirUser) { u.identities = nil },
			"moved": func(b *b2cTenant, u *dirUser) {
				u.identities = nil
				b.dir.add(&dirUser{signInName: "other@example.com", identities: []identity{{"id.me", vera.UUID}}})
			},
		} {
			t.Run(name, func(t *testing.T) {
				b2c, signIn, u := fresh(t)
				change(b2c, u)
				if got := b2c.refresh(susiPolicy, signIn); got.token != nil || got.err == nil {
					t.Errorf("refresh after the account was %s issued %v", name, got.token)
				}
			})
		}
		// A local account with ID.me linked, signed in through ID.me: its token has ID.me's
		// email beside email_verified, and a refresh must not swap in the local sign-in's.
		t.Run("linked local account signed in through ID.me", func(t *testing.T) {
			b2c := newB2CTenantReading(t, w, files, r)
			b2c.dir.add(&dirUser{signInName: "alice@example.com", password: "pw", identities: []identity{{"id.me", vera.UUID}}})
			signIn := b2c.run(susiPolicy, browserUser{persona: vera.ID})
			issued(t, "sign-in", signIn)
			got := b2c.refresh(susiPolicy, signIn)
			issued(t, "refresh", got)
			if got.token["email"] != signIn.token["email"] || got.token["email_verified"] != signIn.token["email_verified"] {
				t.Errorf("refreshed email %v (verified %v), sign-in's %v (%v)", got.token["email"], got.token["email_verified"],
					signIn.token["email"], signIn.token["email_verified"])
			}
		})
		t.Run("local account", func(t *testing.T) {
			b2c := newB2CTenantReading(t, w, files, r)
			alice := b2c.dir.add(&dirUser{signInName: "alice@example.com", password: "pw", attrs: map[string]string{"displayName": "Alice"}})
			signIn := b2c.run(susiPolicy, browserUser{chooseLocal: true, signInName: "alice@example.com", password: "pw"})
			issued(t, "local sign-in", signIn)
			issued(t, "refresh", b2c.refresh(susiPolicy, signIn))
			alice.disabled = true
			if got := b2c.refresh(susiPolicy, signIn); got.token != nil {
				t.Errorf("a disabled local account refreshed: %v", got.token)
			}
		})
	})
}

// Every relying party that issues tokens names the refresh journey.
func TestB2CEveryPolicyRefreshesThroughTheDirectory(t *testing.T) {
	w := newWorld(t)
	b2c := newB2CTenant(t, w, w.renderedFiles(nil))
	for _, f := range []string{susiPolicy, linkPolicy, unlinkPolicy, verifyMilitaryPolicy} {
		if got := b2c.relyingParty(f).TokenJourney; got != "IdmeBridgeRedeemRefreshToken" {
			t.Errorf("%s: Token endpoint journey %q", f, got)
		}
	}
}

// An account holds one ID.me identity: linking another is refused with a page that says so,
// whatever the browser posts, and nothing is written.
func TestB2COneIdmeIdentityPerAccount(t *testing.T) {
	w := newWorld(t)
	files := w.renderedFiles(nil)
	vera, sam := persona(t, "veteran"), persona(t, "service_member")
	eachReading(t, varySSO|varyPages, func(t *testing.T, r readings) {
		b2c := newB2CTenantReading(t, w, files, r)
		alice := b2c.dir.add(&dirUser{signInName: "alice@example.com", password: "pw", identities: []identity{{"id.me", vera.UUID}}})
		for _, post := range []bool{false, true} {
			b2c.newBrowserSession()
			writes := b2c.dir.writes
			got := b2c.run(linkPolicy, browserUser{chooseLocal: true, signInName: "alice@example.com", password: "pw", persona: sam.ID,
				postHiddenContinue: post, postClaims: map[string]any{"idmeBridgeAllowed": true}})
			if !stopped(got, "IdmeBridge-OtherIdmeLinked") || b2c.dir.writes != writes {
				t.Errorf("second ID.me identity (post %v): %+v, %d writes", post, got, b2c.dir.writes-writes)
			}
		}
		if !slices.Equal(alice.identities, []identity{{"id.me", vera.UUID}}) {
			t.Errorf("identities %v", alice.identities)
		}
		// The same identity again is a fresh verification.
		b2c.newBrowserSession()
		issued(t, "re-verify", b2c.run(linkPolicy, browserUser{chooseLocal: true, signInName: "alice@example.com", password: "pw", persona: vera.ID}))
	})
}

// A customer who once used ID.me on its own has an account ID.me is the only way into: linking
// moves the identity to the signed-in account after a confirmation, and deletes the other. An
// identity on an account with its own sign-in stays there, with a page that says what to do.
func TestB2CLinkWithAnIdmeOnlyHolder(t *testing.T) {
	w := newWorld(t)
	files := w.renderedFiles(nil)
	vera := persona(t, "veteran")
	local := browserUser{chooseLocal: true, signInName: "alice@example.com", password: "pw", persona: vera.ID}
	eachReading(t, varyPages, func(t *testing.T, r readings) {
		b2c := newB2CTenantReading(t, w, files, r)
		alice := b2c.dir.add(&dirUser{signInName: "alice@example.com", password: "pw"})
		issued(t, "ID.me sign-in", b2c.run(susiPolicy, browserUser{persona: vera.ID}))
		holder := b2c.dir.byIdentity(identity{"id.me", vera.UUID})

		b2c.newBrowserSession()
		if got := b2c.run(linkPolicy, local); !stopped(got, "IdmeBridge-ConfirmMove") || b2c.dir.byObjectID(holder.objectID) == nil {
			t.Fatalf("without confirming: %+v", got)
		}
		forged := local
		forged.postClaims = map[string]any{"idmeBridgeMoveConfirmed": "no"}
		b2c.newBrowserSession()
		if got := b2c.run(linkPolicy, forged); got.token != nil || b2c.dir.byObjectID(holder.objectID) == nil {
			t.Fatalf("with a forged confirmation: %+v", got)
		}
		confirmed := local
		confirmed.postClaims = map[string]any{"idmeBridgeMoveConfirmed": "move"}
		b2c.newBrowserSession()
		got := b2c.run(linkPolicy, confirmed)
		issued(t, "link with move", got)
		if got.token["sub"] != alice.objectID || b2c.dir.byObjectID(holder.objectID) != nil ||
			!slices.Contains(alice.identities, identity{"id.me", vera.UUID}) {
			t.Errorf("after the move: sub %v, holder kept %v, alice %v", got.token["sub"], b2c.dir.byObjectID(holder.objectID) != nil, alice.identities)
		}
		// Deleted users stay restorable: the deleted holder must not still hold the identity.
		if i := slices.IndexFunc(b2c.dir.deleted, func(u *dirUser) bool { return u.objectID == holder.objectID }); i < 0 || len(b2c.dir.deleted[i].identities) != 0 {
			t.Errorf("the deleted holder: %+v", b2c.dir.deleted)
		}
		b2c.newBrowserSession()
		if again := b2c.run(susiPolicy, browserUser{persona: vera.ID}); again.token["sub"] != alice.objectID {
			t.Errorf("ID.me sign-in after the move: %+v", again)
		}

		// An ID.me-only account an administrator disabled keeps its ID.me.
		dana := persona(t, "teacher")
		disabled := b2c.dir.add(&dirUser{identities: []identity{{"id.me", dana.UUID}}, disabled: true})
		b2c.dir.add(&dirUser{signInName: "erin@example.com", password: "e"})
		b2c.newBrowserSession()
		if got := b2c.run(linkPolicy, browserUser{chooseLocal: true, signInName: "erin@example.com", password: "e", persona: dana.ID,
			postClaims: map[string]any{"idmeBridgeMoveConfirmed": "move"}}); !stopped(got, "IdmeBridge-AlreadyLinked") ||
			b2c.dir.byObjectID(disabled.objectID) == nil || len(disabled.identities) != 1 {
			t.Errorf("moving ID.me off a disabled account: %+v", got)
		}

		// Bob has his own password: his ID.me stays his, whatever Carol's browser posts.
		bob := b2c.dir.add(&dirUser{signInName: "bob@example.com", password: "b", identities: []identity{{"id.me", "bob-uuid"}}})
		b2c.dir.add(&dirUser{signInName: "carol@example.com", password: "c"})
		bobsIdme := persona(t, "service_member")
		bob.identities = []identity{{"id.me", bobsIdme.UUID}}
		for _, post := range []bool{false, true} {
			b2c.newBrowserSession()
			got := b2c.run(linkPolicy, browserUser{chooseLocal: true, signInName: "carol@example.com", password: "c", persona: bobsIdme.ID,
				postHiddenContinue: post, postClaims: map[string]any{"idmeBridgeMoveConfirmed": "move", "idmeBridgeAllowed": true}})
			if !stopped(got, "IdmeBridge-AlreadyLinked") || b2c.dir.byObjectID(bob.objectID) == nil || len(bob.identities) != 1 {
				t.Errorf("identity of an account with a password (post %v): %+v", post, got)
			}
		}
	})
}

// Link, unlink, link elsewhere: each account's token names the same ID.me subject, so an
// application can hold one verification per person, and the first account's refresh token
// stops once its ID.me is gone.
func TestB2CLinkUnlinkLinkElsewhere(t *testing.T) {
	w := newWorld(t)
	files := w.renderedFiles(nil)
	vera := persona(t, "veteran")
	eachReading(t, varyRefresh|varySSO, func(t *testing.T, r readings) {
		b2c := newB2CTenantReading(t, w, files, r)
		b2c.dir.add(&dirUser{signInName: "alice@example.com", password: "pw"})
		b2c.dir.add(&dirUser{signInName: "bob@example.com", password: "pw2"})
		alice := browserUser{chooseLocal: true, signInName: "alice@example.com", password: "pw", persona: vera.ID}
		first := b2c.run(linkPolicy, alice)
		issued(t, "link to Alice", first)
		b2c.newBrowserSession()
		issued(t, "unlink", b2c.run(unlinkPolicy, confirmUnlink(alice)))
		if got := b2c.refresh(linkPolicy, first); got.token != nil {
			t.Errorf("Alice's refresh after unlink issued %v", got.token)
		}
		b2c.newBrowserSession()
		second := b2c.run(linkPolicy, browserUser{chooseLocal: true, signInName: "bob@example.com", password: "pw2", persona: vera.ID})
		issued(t, "link to Bob", second)
		if first.token["idme_subject"] != second.token["idme_subject"] || first.token["idme_subject"] != vera.UUID || first.token["sub"] == second.token["sub"] {
			t.Errorf("tokens: %v / %v", first.token, second.token)
		}
	})
}

// Unlink acts only for an account with a local sign-in, only when ID.me is linked, and only
// after the customer confirms.
func TestB2CUnlinkGuards(t *testing.T) {
	w := newWorld(t)
	files := w.renderedFiles(nil)
	vera := persona(t, "veteran")
	eachReading(t, varySSO|varyPages, func(t *testing.T, r readings) {
		b2c := newB2CTenantReading(t, w, files, r)
		alice := b2c.dir.add(&dirUser{signInName: "alice@example.com", password: "pw", identities: []identity{{"id.me", vera.UUID}}})
		local := browserUser{chooseLocal: true, signInName: "alice@example.com", password: "pw"}
		if got := b2c.run(unlinkPolicy, local); !stopped(got, "IdmeBridge-ConfirmUnlink") || len(alice.identities) != 1 {
			t.Errorf("unconfirmed unlink: %+v, identities %v", got, alice.identities)
		}
		// A crafted form with another value in the box is not a confirmation either.
		forged := local
		forged.postClaims = map[string]any{"idmeBridgeUnlinkConfirmed": "no"}
		b2c.newBrowserSession()
		if got := b2c.run(unlinkPolicy, forged); got.token != nil || len(alice.identities) != 1 {
			t.Errorf("unlink with a forged confirmation: %+v, identities %v", got, alice.identities)
		}
		bob := b2c.dir.add(&dirUser{signInName: "bob@example.com", password: "pw2"})
		b2c.newBrowserSession()
		writes := b2c.dir.writes
		if got := b2c.run(unlinkPolicy, confirmUnlink(browserUser{chooseLocal: true, signInName: "bob@example.com", password: "pw2"})); !stopped(got, "IdmeBridge-NothingLinked") || b2c.dir.writes != writes {
			t.Errorf("unlink with nothing linked: %+v", got)
		}
		_ = bob
		// An ID.me-only account reaches Unlink only through a session.
		b2c.newBrowserSession()
		issued(t, "ID.me sign-in", b2c.run(susiPolicy, browserUser{persona: "service_member"}))
		sam := b2c.dir.byIdentity(identity{"id.me", persona(t, "service_member").UUID})
		b2c.newBrowserSession()
		b2c.session["SM-AAD"] = map[string]any{"objectId": sam.objectID}
		got := b2c.run(unlinkPolicy, confirmUnlink(browserUser{}))
		if r.includeInSsoHonoured {
			if got.token != nil {
				t.Errorf("unlink without a session or a password: %+v", got)
			}
		} else if !stopped(got, "IdmeBridge-NoLocalSignIn") {
			t.Errorf("unlink of an ID.me-only account: %+v", got)
		}
		if len(sam.identities) != 1 {
			t.Errorf("the ID.me-only account lost its only way in: %v", sam.identities)
		}
	})
}

// An administrator-disabled account gets no token through ID.me, from any policy.
func TestB2CDisabledAccountThroughIdme(t *testing.T) {
	w := newWorld(t)
	files := w.renderedFiles(nil)
	vera := persona(t, "veteran")
	eachReading(t, varyPages, func(t *testing.T, r readings) {
		b2c := newB2CTenantReading(t, w, files, r)
		b2c.dir.add(&dirUser{identities: []identity{{"id.me", vera.UUID}}, disabled: true})
		for _, p := range []string{susiPolicy, verifyMilitaryPolicy} {
			if got := b2c.run(p, browserUser{persona: vera.ID}); got.token != nil {
				t.Errorf("%s issued to a disabled account: %v", p, got.token)
			}
		}
	})
}

// A local account's token carries its email.
func TestB2CLocalSignInTokenHasEmail(t *testing.T) {
	w := newWorld(t)
	b2c := newB2CTenant(t, w, w.renderedFiles(nil))
	b2c.dir.add(&dirUser{signInName: "alice@example.com", password: "pw"})
	got := b2c.run(susiPolicy, browserUser{chooseLocal: true, signInName: "alice@example.com", password: "pw"})
	issued(t, "local sign-in", got)
	if got.token["email"] != "alice@example.com" {
		t.Errorf("email = %v", got.token["email"])
	}
}

// The directory is written when a new user arrives and when ID.me's names change, not on
// every sign-in.
func TestB2CNamesWrittenOnlyWhenChanged(t *testing.T) {
	w := newWorld(t)
	b2c := newB2CTenant(t, w, w.renderedFiles(nil))
	vera := persona(t, "veteran")
	issued(t, "first", b2c.run(susiPolicy, browserUser{persona: vera.ID}))
	if b2c.dir.writes != 1 {
		t.Fatalf("%d writes for a new user, want 1", b2c.dir.writes)
	}
	for range 2 {
		b2c.newBrowserSession()
		issued(t, "again", b2c.run(susiPolicy, browserUser{persona: vera.ID}))
	}
	if b2c.dir.writes != 1 {
		t.Errorf("%d writes after two unchanged sign-ins, want 1", b2c.dir.writes)
	}
	u := b2c.dir.byIdentity(identity{"id.me", vera.UUID})
	u.attrs["surname"] = "Old"
	b2c.newBrowserSession()
	issued(t, "changed", b2c.run(susiPolicy, browserUser{persona: vera.ID}))
	if b2c.dir.writes != 2 || u.attrs["surname"] != "Veteran" {
		t.Errorf("%d writes, surname %q after ID.me's name changed", b2c.dir.writes, u.attrs["surname"])
	}
}
