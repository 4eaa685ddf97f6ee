package app

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"idmebridge/internal/policy"
)

// This file is a model of the Identity Experience Framework running the rendered policy files:
// journeys, preconditions, claims exchanges and their technical profiles are read from the
// XML; what B2C does with them (directory reads and writes, pages, claims transformations, SSO
// session providers) is written here after Microsoft's custom policy reference and the
// SocialAndLocalAccounts starter pack. The starter pack's own profiles, which the bridge's files
// reference but do not contain, are modelled by id from its TrustFrameworkBase.xml.

// identity is one federated identity of a directory user: an alternativeSecurityId, one item
// of the user's alternativeSecurityIds.
type identity struct{ Issuer, IssuerUserID string }

type dirUser struct {
	objectID             string
	signInName, password string // a local account's email sign-in
	userName             string // a local account's user-name sign-in
	identities           []identity
	attrs                map[string]string // givenName, surname, displayName
	disabled             bool              // accountEnabled false, set by an administrator
	// refreshValidFrom is refreshTokensValidFromDateTime: refresh tokens issued before it are
	// refused (Graph revokeSignInSessions sets it).
	refreshValidFrom int
}

// directory is the tenant's user store.
type directory struct {
	users []*dirUser
	// deleted are users deleted by a policy: Entra ID keeps them, identities and all,
	// restorable for 30 days (deleted items), so what they hold when deleted matters.
	deleted []*dirUser
	next    int
	writes  int // directory writes, to see which journeys write on every run
}

func (d *directory) add(u *dirUser) *dirUser {
	d.next++
	u.objectID = fmt.Sprintf("00000000-0000-0000-0000-%012d", d.next)
	if u.attrs == nil {
		u.attrs = map[string]string{}
	}
	d.users = append(d.users, u)
	return u
}

func (d *directory) delete(id string) {
	if u := d.byObjectID(id); u != nil {
		d.deleted = append(d.deleted, u)
	}
	d.users = slices.DeleteFunc(d.users, func(u *dirUser) bool { return u.objectID == id })
}

func (d *directory) byObjectID(id string) *dirUser {
	for _, u := range d.users {
		if u.objectID == id {
			return u
		}
	}
	return nil
}

func (d *directory) byIdentity(id identity) *dirUser {
	for _, u := range d.users {
		if slices.Contains(u.identities, id) {
			return u
		}
	}
	return nil
}

// browserUser is what the person at the browser does.
type browserUser struct {
	chooseLocal          bool   // at a sign-in page: the local account rather than ID.me
	persona              string // at ID.me
	signInName, password string // for the local account
	editNames            map[string]string
	postHiddenContinue   bool // posts a page whose Continue button is hidden
	// postClaims are values the browser posts for a page's output claims: a confirmation box
	// ticked, or a crafted form. Whether B2C takes a value for a claim the page does not
	// display is not documented, so the model assumes the worst: it does, unless the claim is
	// AlwaysUseDefaultValue.
	postClaims map[string]any
}

// journeyResult is how a run of a journey ended.
type journeyResult struct {
	token map[string]any // the relying party's claims, by the names the application sees
	page  string         // the self-asserted page the journey ended on, when it did not issue
	err   error          // a B2C error page (or, for a refresh, the token endpoint's error)
	// refresh is what the refresh token issued with the token carries (claim type -> value).
	refresh map[string]any
}

// readings are the choices the model makes where Microsoft's documentation is silent or
// ambiguous. The policies must be right under every combination (allReadings).
type readings struct {
	// includeInSsoHonoured: IncludeInSso false keeps a profile out of the session even when it
	// runs as an orchestration step. The technical profile reference says the element "is valid
	// only in SelfAsserted profiles used within a Validation technical profile", so for the
	// starter pack's AAD-UserWriteUsingAlternativeSecurityId and
	// SelfAsserted-LocalAccountSignin-Email (both IncludeInSso false, both SM-AAD) it may be
	// ignored; tenants see local sign-ins satisfied from the session (starter pack issue #127
	// asks why the flag is there at all).
	includeInSsoHonoured bool
	// skipsFilledPages: a self-asserted page whose every output claim already has a value is
	// not shown (the starter pack's SelfAsserted-Social comment: "A claim is only shown to the
	// user to provide a value if its value cannot be obtained through any other means"), and
	// its validation profiles do not run.
	skipsFilledPages bool
	// refreshCopiesClaims: a refreshed token also carries the first token's claims that the
	// refresh journey did not produce. The starter pack says such claims "must be added to the
	// output claims collection" of RefreshTokenReadAndSetup to reappear; what B2C does with the
	// others is not written down.
	refreshCopiesClaims bool
}

func (r readings) String() string {
	return fmt.Sprintf("IncludeInSso-honoured=%v/filled-pages-skipped=%v/refresh-copies=%v",
		r.includeInSsoHonoured, r.skipsFilledPages, r.refreshCopiesClaims)
}

// allReadings are the eight combinations of the readings.
func allReadings() []readings {
	var out []readings
	for i := range 8 {
		out = append(out, readings{includeInSsoHonoured: i&1 != 0, skipsFilledPages: i&2 != 0, refreshCopiesClaims: i&4 != 0})
	}
	return out
}

// b2cTenant holds one tenant's directory and one browser's B2C session.
type b2cTenant struct {
	w     *world
	t     *testing.T
	files map[string][]byte
	types map[string]string
	read  readings
	dir   *directory
	// session is the browser's B2C session: per SSO session provider (not per technical
	// profile), the claims it persisted when its first participant ran. Microsoft's SSO
	// reference (custom-policy-reference-sso): "When an orchestration step is executed, the
	// technical profile associated with the step is queried for a
	// UseTechnicalProfileForSessionManagement reference. If one exists, the referenced SSO
	// session provider is then checked to see if the user is a session participant. If so,
	// the SSO session provider is used to repopulate the session."
	session     map[string]map[string]any
	bridgeCalls int
	parsed      *parsedPolicies
	clock       int // a logical clock for refreshTokenIssuedOnDateTime
}

func newB2CTenant(t *testing.T, w *world, files map[string][]byte) *b2cTenant {
	return newB2CTenantReading(t, w, files, readings{})
}

func newB2CTenantReading(t *testing.T, w *world, files map[string][]byte, r readings) *b2cTenant {
	return &b2cTenant{w: w, t: t, files: files, types: w.parsedPolicies(t, files).types, read: r, dir: &directory{},
		session: map[string]map[string]any{}, parsed: w.parsedPolicies(t, files)}
}

// parsedPolicies returns the lookups of one set of files, made once per test and shared by its
// tenants: the files map is the key, and tests change a set's bytes before any tenant runs it.
func (w *world) parsedPolicies(t *testing.T, files map[string][]byte) *parsedPolicies {
	key := reflect.ValueOf(files).Pointer()
	if p, ok := w.policies[key]; ok {
		return p
	}
	types, err := policy.ClaimDataTypes(files)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"newUser", "objectIdFromSession", "accountEnabled"} {
		types[c] = "boolean"
	}
	p := &parsedPolicies{files: files, types: types, profiles: map[string]profileLookup{}, journeys: map[string]policy.Journey{},
		transformations: map[string]policy.Transformation{}, oidc: map[string]policy.OIDCProfile{}}
	if w.policies == nil {
		w.policies = map[uintptr]*parsedPolicies{}
	}
	w.policies[key] = p
	return p
}

// parsedPolicies remembers what the model looked up in the files: each lookup parses every
// file, and a journey looks up a profile several times per step.
type parsedPolicies struct {
	// files holds the map the lookups are of, so that its address, the cache's key, cannot be
	// reused by another map while the entry lives.
	files           map[string][]byte
	types           map[string]string // claim type -> data type
	profiles        map[string]profileLookup
	journeys        map[string]policy.Journey
	transformations map[string]policy.Transformation
	relyingParties  []policy.RelyingParty
	oidc            map[string]policy.OIDCProfile
}

type profileLookup struct {
	p   policy.Profile
	err error
}

func (b *b2cTenant) findProfile(id string) (policy.Profile, error) {
	if l, ok := b.parsed.profiles[id]; ok {
		return l.p, l.err
	}
	p, err := policy.FindProfile(b.files, id)
	b.parsed.profiles[id] = profileLookup{p, err}
	return p, err
}

func (b *b2cTenant) findJourney(id string) (policy.Journey, error) {
	if j, ok := b.parsed.journeys[id]; ok {
		return j, nil
	}
	j, err := policy.FindJourney(b.files, id)
	if err == nil {
		b.parsed.journeys[id] = j
	}
	return j, err
}

func (b *b2cTenant) findTransformation(id string) (policy.Transformation, error) {
	if t, ok := b.parsed.transformations[id]; ok {
		return t, nil
	}
	t, err := policy.FindTransformation(b.files, id)
	if err == nil {
		b.parsed.transformations[id] = t
	}
	return t, err
}

// newBrowserSession forgets the B2C session, as a private window would.
func (b *b2cTenant) newBrowserSession() { b.session = map[string]map[string]any{} }

func (b *b2cTenant) relyingParty(file string) policy.RelyingParty {
	b.t.Helper()
	if b.parsed.relyingParties == nil {
		rps, err := policy.RelyingParties(b.files)
		if err != nil {
			b.t.Fatal(err)
		}
		b.parsed.relyingParties = rps
	}
	rps := b.parsed.relyingParties
	i := slices.IndexFunc(rps, func(r policy.RelyingParty) bool { return r.File == file })
	if i < 0 {
		b.t.Fatalf("no relying party file %s", file)
	}
	return rps[i]
}

// run runs the default journey of the relying party file rp.
func (b *b2cTenant) run(rpFile string, user browserUser) journeyResult {
	b.t.Helper()
	rp := b.relyingParty(rpFile)
	return b.runJourney(rp, rp.Journey, map[string]any{}, user)
}

// refresh redeems the refresh token that came with an earlier token of rpFile. A relying party
// without a Token endpoint has no journey to run: B2C issues the new tokens without reading
// the directory (the starter pack's change log of 09 August 2022: the refresh token journey
// "will check the user still exists and is enabled", and is what "prevents directory deleted
// users from getting continued access").
func (b *b2cTenant) refresh(rpFile string, earlier journeyResult) journeyResult {
	b.t.Helper()
	if earlier.refresh == nil {
		b.t.Fatal("refresh: the earlier run issued no token")
	}
	rp := b.relyingParty(rpFile)
	if rp.TokenJourney == "" {
		return journeyResult{token: maps.Clone(earlier.token), refresh: earlier.refresh}
	}
	bag := map[string]any{refreshTokenKey: earlier.refresh}
	r := b.runJourney(rp, rp.TokenJourney, bag, browserUser{})
	if r.token != nil && b.read.refreshCopiesClaims {
		for k, v := range earlier.token {
			if _, ok := r.token[k]; !ok {
				r.token[k] = v
			}
		}
	}
	if r.page != "" && r.err == nil {
		r.err = fmt.Errorf("a refresh journey cannot show page %s", r.page)
	}
	return r
}

// refreshTokenKey holds, in a refresh journey's bag, the refresh token being redeemed; only a
// protocol "None" profile (RefreshTokenReadAndSetup) reads it.
const refreshTokenKey = "\x00refresh-token"

func (b *b2cTenant) runJourney(rp policy.RelyingParty, journeyID string, bag map[string]any, user browserUser) journeyResult {
	b.t.Helper()
	j, err := b.findJourney(journeyID)
	if err != nil {
		b.t.Fatal(err)
	}
	b.clock++
	selected := ""
	for _, s := range j.Steps {
		if b.skip(s, bag) {
			continue
		}
		var runErr error
		switch s.Type {
		case "CombinedSignInAndSignUp", "ClaimsProviderSelection":
			if len(s.Exchanges) == 1 && b.fromSession(s.Exchanges[0].ProfileID, bag) {
				// The step's sign-in page is satisfied from the session: no page at all.
				continue
			}
			if user.chooseLocal || len(s.Selections) == 0 {
				if len(s.Exchanges) != 1 {
					b.t.Fatalf("step %d offers no local sign-in", s.Order)
				}
				runErr = b.runProfile(s.Exchanges[0].ProfileID, bag, user)
			} else {
				selected = s.Selections[0]
			}
		case "ClaimsExchange":
			ex := s.Exchanges[0]
			if len(s.Exchanges) > 1 {
				k := slices.IndexFunc(s.Exchanges, func(e policy.Exchange) bool { return e.ID == selected })
				if k < 0 {
					return journeyResult{err: fmt.Errorf("step %d: no claims exchange %q was selected", s.Order, selected)}
				}
				ex = s.Exchanges[k]
			}
			runErr = b.runProfile(ex.ProfileID, bag, user)
		case "SendClaims":
			token, stored := b.issue(rp, bag)
			return journeyResult{token: token, refresh: stored}
		default:
			b.t.Fatalf("step type %q is not modelled", s.Type)
		}
		var page pageShown
		switch {
		case errors.As(runErr, &page):
			return journeyResult{page: page.id}
		case runErr != nil:
			return journeyResult{err: fmt.Errorf("step %d: %w", s.Order, runErr)}
		}
	}
	return journeyResult{err: errors.New("the journey ended without SendClaims")}
}

type pageShown struct{ id string }

func (p pageShown) Error() string { return "page " + p.id }

// skip evaluates a step's preconditions as B2C does: any precondition whose test equals its
// ExecuteActionsIf skips the step.
func (b *b2cTenant) skip(s policy.Step, bag map[string]any) bool {
	for _, pre := range s.Preconditions {
		if pre.Action != "SkipThisOrchestrationStep" {
			b.t.Fatalf("precondition action %q is not modelled", pre.Action)
		}
		var test bool
		v, ok := bag[pre.Values[0]]
		switch pre.Type {
		case "ClaimsExist":
			test = ok && v != ""
		case "ClaimEquals":
			test = ok && b2cText(v) == pre.Values[1]
		default:
			b.t.Fatalf("precondition %q is not modelled", pre.Type)
		}
		if test == pre.ExecuteActionsIf {
			return true
		}
	}
	return false
}

// b2cText is a claim as B2C compares it in ClaimEquals: booleans as True or False.
func b2cText(v any) string {
	if bv, ok := v.(bool); ok {
		if bv {
			return "True"
		}
		return "False"
	}
	return fmt.Sprint(v)
}

// set puts a claim in the bag with its declared data type: B2C holds a boolean claim as a
// boolean, whether it came as JSON true or as a DefaultValue "true".
func (b *b2cTenant) set(bag map[string]any, claim string, v any) {
	if b.types[claim] == "boolean" {
		if s, ok := v.(string); ok {
			v = strings.EqualFold(s, "true")
		}
	}
	bag[claim] = v
}

// sessionProvider is the SSO session provider a technical profile uses: its handler and the
// claims it persists.
type sessionProvider struct {
	id        string
	noop      bool
	persisted []string
	outputs   map[string]any
}

// starterPackSession are the starter pack's session providers (TrustFrameworkBase.xml,
// ClaimsProvider "Session Management").
func starterPackSession(id string) (sessionProvider, bool) {
	aad := sessionProvider{id: id, persisted: []string{"objectId", "signInName", "authenticationSource", "identityProvider",
		"newUser", "executed-SelfAsserted-Input"}, outputs: map[string]any{"objectIdFromSession": true}}
	switch id {
	case "SM-Noop":
		return sessionProvider{id: id, noop: true}, true
	case "SM-AAD", "SM-SocialSignup": // SM-SocialSignup includes SM-AAD under a name of its own
		return aad, true
	case "SM-SocialLogin": // ExternalLoginSSOSessionProvider
		return sessionProvider{id: id, persisted: []string{"alternativeSecurityId"}}, true
	}
	return sessionProvider{}, false
}

// starterPackProfile is what TrustFrameworkBase.xml says of a starter pack profile the
// journeys run: its session provider and its IncludeInSso. The AAD-* profiles without a
// session provider of their own inherit AAD-Common's SM-Noop and IncludeInSso false.
func starterPackProfile(id string) (session, includeInSso string) {
	switch id {
	case "SelfAsserted-LocalAccountSignin-Email", "AAD-UserWriteUsingAlternativeSecurityId":
		return "SM-AAD", "false"
	case "LocalAccountSignUpWithLogonEmail":
		return "SM-AAD", ""
	case "SelfAsserted-Social":
		return "SM-SocialSignup", ""
	}
	return "SM-Noop", "false"
}

// profileSession is the session provider and IncludeInSso of a profile of the files or of the
// starter pack: a profile of the files that sets neither takes them from what it includes.
func (b *b2cTenant) profileSession(profileID string) (sessionProvider, string) {
	b.t.Helper()
	ref, inSso := "", ""
	if p, err := b.findProfile(profileID); err == nil {
		ref, inSso = p.SessionManagement, p.IncludeInSso
		for _, inc := range p.IncludesKnown {
			s, i := starterPackProfile(inc)
			if ref == "" {
				ref = s
			}
			if inSso == "" {
				inSso = i
			}
		}
	} else {
		ref, inSso = starterPackProfile(profileID)
	}
	if ref == "" {
		return sessionProvider{noop: true}, inSso // no session management: nothing is remembered
	}
	if p, err := b.findProfile(ref); err == nil {
		// A session provider of the files' own: what its handler does, with its PersistedClaims.
		sp := sessionProvider{id: ref, noop: strings.Contains(p.Handler, "NoopSSOSessionProvider")}
		for _, c := range p.PersistedClaims {
			sp.persisted = append(sp.persisted, c.ClaimType)
		}
		if !sp.noop && !strings.Contains(p.Handler, "DefaultSSOSessionProvider") && !strings.Contains(p.Handler, "ExternalLoginSSOSessionProvider") {
			b.t.Fatalf("session provider %s (%s) is not modelled", ref, p.Handler)
		}
		return sp, inSso
	}
	sp, ok := starterPackSession(ref)
	if !ok {
		b.t.Fatalf("session provider %s is not modelled", ref)
	}
	return sp, inSso
}

// participates tells whether running profileID reads and writes its provider's session.
func (b *b2cTenant) participates(profileID string) (sessionProvider, bool) {
	sp, inSso := b.profileSession(profileID)
	if sp.noop {
		return sp, false
	}
	if inSso == "false" && b.read.includeInSsoHonoured {
		return sp, false
	}
	return sp, true
}

// fromSession repopulates the bag from the session when profileID's provider has a session
// participant: the profile is then not run.
func (b *b2cTenant) fromSession(profileID string, bag map[string]any) bool {
	sp, ok := b.participates(profileID)
	if !ok {
		return false
	}
	kept, ok := b.session[sp.id]
	if !ok {
		return false
	}
	for k, v := range kept {
		bag[k] = v
	}
	for k, v := range sp.outputs {
		bag[k] = v
	}
	return true
}

// runProfile runs a claims exchange's technical profile, or repopulates its claims from the
// session when its provider has a participant; after a run, a participating profile makes the
// browser a participant of its provider ("Claims that are part of the session cookie can't be
// updated": a provider keeps what its first participant persisted).
func (b *b2cTenant) runProfile(id string, bag map[string]any, user browserUser) error {
	if b.fromSession(id, bag) {
		return nil
	}
	if err := b.execute(id, bag, user); err != nil {
		return err
	}
	if sp, ok := b.participates(id); ok {
		if _, has := b.session[sp.id]; !has {
			kept := map[string]any{}
			for _, c := range sp.persisted {
				v, ok := bag[c]
				// A stringCollection does not survive the session store.
				if _, isList := v.([]string); ok && !isList {
					kept[c] = v
				}
			}
			b.session[sp.id] = kept
		}
	}
	return nil
}

func (b *b2cTenant) execute(id string, bag map[string]any, user browserUser) error {
	p, err := b.findProfile(id)
	if errors.Is(err, policy.ErrNoProfile) {
		return b.starterPack(id, bag, user)
	}
	if err != nil {
		b.t.Fatal(err)
	}
	for _, t := range p.InputTransformations {
		if err := b.transform(t, bag); err != nil {
			return err
		}
	}
	for _, c := range p.InputClaims {
		if _, ok := bag[c.ClaimType]; (!ok || c.AlwaysUseDefaultValue) && c.DefaultValue != "" {
			b.set(bag, c.ClaimType, c.DefaultValue)
		}
		if _, ok := bag[c.ClaimType]; !ok && c.Required {
			return fmt.Errorf("%s: required input claim %s is missing", id, c.ClaimType)
		}
	}
	switch {
	case p.Kind == policy.KindNone && (id == "RefreshTokenReadAndSetup" || slices.Contains(p.IncludesKnown, "RefreshTokenReadAndSetup")):
		if err := b.refreshSetup(p, bag); err != nil {
			return err
		}
	case p.Kind == policy.KindOpenIDConnect:
		if err := b.federate(id, bag, user); err != nil {
			return err
		}
	case p.Kind == policy.KindAzureActiveDirectory && len(p.InputClaims) == 0 && len(p.IncludesKnown) > 0 && p.IncludesKnown[0] != "AAD-Common":
		// A profile that only re-points a starter pack directory profile (its session, say):
		// the starter pack's behaviour.
		if err := b.starterPack(p.IncludesKnown[0], bag, user); err != nil {
			return err
		}
	case p.Kind == policy.KindAzureActiveDirectory:
		if err := b.directoryOperation(p, bag); err != nil {
			return err
		}
	case p.Kind == policy.KindSelfAsserted:
		if err := b.page(p, bag, user); err != nil {
			return err
		}
	case p.Kind == policy.KindClaimsTransformation:
		for _, c := range p.OutputClaims {
			if _, ok := bag[c.ClaimType]; (!ok || c.AlwaysUseDefaultValue) && c.DefaultValue != "" {
				b.set(bag, c.ClaimType, c.DefaultValue)
			}
		}
	default:
		b.t.Fatalf("technical profile %s of kind %s is not modelled", id, p.Kind)
	}
	if p.Kind != policy.KindOpenIDConnect { // the OpenIdConnect model maps its own output claims
		for _, t := range p.OutputTransformations {
			if err := b.transform(t, bag); err != nil {
				return err
			}
		}
	}
	return nil
}

// refreshSetup is RefreshTokenReadAndSetup (protocol None): the refresh token's objectId and
// issue time, and the claims the profile lists, from what the refresh token carries.
func (b *b2cTenant) refreshSetup(p policy.Profile, bag map[string]any) error {
	stored, ok := bag[refreshTokenKey].(map[string]any)
	if !ok {
		return errors.New("RefreshTokenReadAndSetup outside a refresh")
	}
	for _, c := range append([]policy.ClaimRef{{ClaimType: "objectId"}, {ClaimType: "refreshTokenIssuedOnDateTime"}}, p.OutputClaims...) {
		if v, ok := stored[c.ClaimType]; ok {
			bag[c.ClaimType] = v
		}
	}
	return nil
}

// federate is the OpenIdConnect profile: B2C's OIDC client driven by the profile's metadata
// against the real bridge, then the OutputClaims mapping and output claims transformations.
func (b *b2cTenant) federate(id string, bag map[string]any, user browserUser) error {
	b.t.Helper()
	profile, ok := b.parsed.oidc[id]
	if !ok {
		var err error
		if profile, err = policy.FindOIDCProfile(b.files, id); err != nil {
			b.t.Fatal(err)
		}
		b.parsed.oidc[id] = profile
	}
	b.bridgeCalls++
	client, verifier := b.w.b2cFromProfile(profile)
	state, nonce := fmt.Sprintf("b2c-state-%d", b.bridgeCalls), fmt.Sprintf("b2c-nonce-%d", b.bridgeCalls)
	got := b.w.signIn(client.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.SetAuthURLParam("response_mode", profile.ResponseMode)), user.persona)
	if e := got.params.Get("error"); e != "" {
		return fmt.Errorf("AADB2C90273: the identity provider answered %s", e)
	}
	if got.params.Get("state") != state {
		return fmt.Errorf("state %q", got.params.Get("state"))
	}
	tok, err := client.Exchange(b.w.rpCtx, got.params.Get("code"))
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	idt, err := verifier.Verify(b.w.rpCtx, tok.Extra("id_token").(string))
	if err != nil {
		return fmt.Errorf("id_token: %w", err)
	}
	if idt.Nonce != nonce {
		return fmt.Errorf("nonce %q", idt.Nonce)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return err
	}
	for k, v := range profile.Map(claims) {
		if list, ok := v.([]any); ok {
			strs := make([]string, 0, len(list))
			for _, x := range list {
				strs = append(strs, fmt.Sprint(x))
			}
			v = strs
		}
		b.set(bag, k, v)
	}
	p, err := b.findProfile(id)
	if err != nil {
		b.t.Fatal(err)
	}
	for _, t := range p.OutputTransformations {
		if err := b.transform(t, bag); err != nil {
			return err
		}
	}
	return nil
}

// directoryOperation is an AzureActiveDirectory profile of the files: Read, Write or
// DeleteClaimsPrincipal, keyed by its first input claim (objectId or alternativeSecurityId).
func (b *b2cTenant) directoryOperation(p policy.Profile, bag map[string]any) error {
	if len(p.InputClaims) == 0 {
		b.t.Fatalf("%s has no input claim to find the user by", p.ID)
	}
	key := p.InputClaims[0]
	partner := key.PartnerClaimType
	if partner == "" {
		partner = key.ClaimType
	}
	var u *dirUser
	switch partner {
	case "objectId":
		u = b.dir.byObjectID(fmt.Sprint(bag[key.ClaimType]))
	case "alternativeSecurityId":
		id, ok := bag[key.ClaimType].(identity)
		if !ok {
			return fmt.Errorf("%s: %s is not an alternativeSecurityId", p.ID, key.ClaimType)
		}
		u = b.dir.byIdentity(id)
	default:
		b.t.Fatalf("%s: lookup by %s is not modelled", p.ID, partner)
	}
	if u == nil {
		if p.Metadata["RaiseErrorIfClaimsPrincipalDoesNotExist"] == "true" || p.Metadata["Operation"] == "DeleteClaimsPrincipal" {
			return fmt.Errorf("%s: the user does not exist", p.ID)
		}
		return nil
	}
	switch p.Metadata["Operation"] {
	case "Read":
	case "DeleteClaimsPrincipal":
		b.dir.delete(u.objectID)
		b.dir.writes++
		return nil
	case "Write":
		b.dir.writes++
		for _, c := range p.PersistedClaims {
			v, ok := bag[c.ClaimType]
			if !ok {
				continue // B2C writes only the claims it holds
			}
			attr := c.PartnerClaimType
			if attr == "" {
				attr = c.ClaimType
			}
			switch attr {
			case "objectId":
			case "alternativeSecurityIds":
				ids := slices.Clone(v.([]identity))
				// An identity is one account's: the directory refuses a second holder.
				for _, id := range ids {
					if other := b.dir.byIdentity(id); other != nil && other != u {
						return fmt.Errorf("%s: another object already has the identity %v", p.ID, id)
					}
				}
				u.identities = ids
			default:
				u.attrs[attr] = fmt.Sprint(v)
			}
		}
	default:
		b.t.Fatalf("%s: operation %q is not modelled", p.ID, p.Metadata["Operation"])
	}
	for _, c := range p.OutputClaims {
		from := c.PartnerClaimType
		if from == "" {
			from = c.ClaimType
		}
		switch from {
		case "objectId":
			bag[c.ClaimType] = u.objectID
		case "accountEnabled":
			bag[c.ClaimType] = !u.disabled
		case "alternativeSecurityIds":
			if len(u.identities) > 0 {
				bag[c.ClaimType] = slices.Clone(u.identities)
			}
		case "signInNames.emailAddress":
			if u.signInName != "" {
				bag[c.ClaimType] = u.signInName
			}
		case "signInNames.userName":
			if u.userName != "" {
				bag[c.ClaimType] = u.userName
			}
		default:
			if v, ok := u.attrs[from]; ok {
				bag[c.ClaimType] = v
			}
		}
	}
	return nil
}

// page is a self-asserted page of the files. Under the skipsFilledPages reading, a page whose
// every output claim already has a value is not shown and does nothing. A shown page without a
// Continue button ends the journey there, unless the browser posts it anyway; a required output
// claim the browser does not post keeps the page; then its validation profiles decide.
func (b *b2cTenant) page(p policy.Profile, bag map[string]any, user browserUser) error {
	if b.read.skipsFilledPages {
		filled := true
		for _, c := range p.OutputClaims {
			if _, ok := bag[c.ClaimType]; !ok && c.DefaultValue == "" {
				filled = false
			}
		}
		if filled {
			return nil
		}
	}
	if p.Metadata["setting.showContinueButton"] == "false" && !user.postHiddenContinue {
		return pageShown{p.ID}
	}
	for _, c := range p.OutputClaims {
		if v, ok := user.editNames[c.ClaimType]; ok {
			b.set(bag, c.ClaimType, v)
		}
		if v, ok := user.postClaims[c.ClaimType]; ok {
			b.set(bag, c.ClaimType, v)
		}
	}
	for _, c := range p.OutputClaims {
		if _, ok := bag[c.ClaimType]; (!ok || c.AlwaysUseDefaultValue) && c.DefaultValue != "" {
			b.set(bag, c.ClaimType, c.DefaultValue)
		}
		if _, ok := bag[c.ClaimType]; !ok && c.Required {
			return pageShown{p.ID} // the browser did not give a required value: the page stays
		}
	}
	for _, v := range p.Validations {
		if err := b.execute(v, bag, user); err != nil {
			return pageShown{p.ID} // the page shows the validation's message and stays
		}
	}
	return nil
}

// starterPack runs the starter pack's profiles the journeys use, as TrustFrameworkBase.xml
// defines them.
func (b *b2cTenant) starterPack(id string, bag map[string]any, user browserUser) error {
	names := []string{"givenName", "surname", "displayName"}
	switch id {
	case "SelfAsserted-LocalAccountSignin-Email":
		// Its validation profile, login-NonInteractive, signs in with Entra ID's resource owner
		// password grant, which refuses a disabled account.
		for _, u := range b.dir.users {
			if u.signInName != "" && u.signInName == user.signInName && u.password == user.password && !u.disabled {
				bag["signInName"], bag["objectId"], bag["authenticationSource"] = u.signInName, u.objectID, "localAccountAuthentication"
				return nil
			}
		}
		return pageShown{id} // wrong password or disabled: the page stays
	case "LocalAccountSignUpWithLogonEmail":
		b.t.Fatalf("the model signs up no local account")
	case "AAD-UserReadUsingObjectId", "AAD-UserReadUsingObjectId-CheckRefreshTokenDate":
		u := b.dir.byObjectID(fmt.Sprint(bag["objectId"]))
		if u == nil {
			return fmt.Errorf("%s: the user does not exist", id)
		}
		if id == "AAD-UserReadUsingObjectId-CheckRefreshTokenDate" {
			// AssertRefreshTokenIssuedLaterThanValidFromDate.
			if issued, _ := bag["refreshTokenIssuedOnDateTime"].(int); issued < u.refreshValidFrom {
				return errors.New("AssertRefreshTokenIssuedLaterThanValidFromDate: the refresh token was revoked")
			}
		}
		for _, n := range names {
			if v, ok := u.attrs[n]; ok {
				bag[n] = v
			}
		}
		return nil
	case "AAD-UserWriteUsingAlternativeSecurityId":
		id, ok := bag["alternativeSecurityId"].(identity)
		if !ok {
			return errors.New("AAD-UserWriteUsingAlternativeSecurityId: required input claim alternativeSecurityId is missing")
		}
		if b.dir.byIdentity(id) != nil {
			return errors.New("AAD-UserWriteUsingAlternativeSecurityId: the user already exists")
		}
		b.dir.writes++
		u := b.dir.add(&dirUser{identities: []identity{id}, attrs: map[string]string{"displayName": "unknown"}})
		for _, n := range names {
			if v, ok := bag[n]; ok {
				u.attrs[n] = fmt.Sprint(v)
			}
		}
		bag["objectId"], bag["newUser"] = u.objectID, true
		return nil
	}
	b.t.Fatalf("starter pack profile %s is not modelled", id)
	return nil
}

// transform runs a claims transformation: the files' own by TransformationMethod (Microsoft's
// claims transformation reference), the starter pack's by id. A missing input claim is an
// error: no journey may rely on what B2C does then.
func (b *b2cTenant) transform(id string, bag map[string]any) error {
	switch id {
	case "CreateRandomUPNUserName":
		bag["upnUserName"] = fmt.Sprintf("cpim_%d", len(b.dir.users)+b.bridgeCalls)
		return nil
	case "CreateUserPrincipalName":
		bag["userPrincipalName"] = fmt.Sprint(bag["upnUserName"]) + "@contoso.onmicrosoft.com"
		return nil
	case "CreateAlternativeSecurityId":
		// From issuerUserId and identityProvider, as the starter pack's CreateAlternativeSecurityId.
		bag["alternativeSecurityId"] = identity{Issuer: fmt.Sprint(bag["identityProvider"]), IssuerUserID: fmt.Sprint(bag["issuerUserId"])}
		return nil
	case "CreateSubjectClaimFromAlternativeSecurityId":
		bag["sub"] = bag["alternativeSecurityId"]
		return nil
	case "AssertAccountEnabledIsTrue":
		if v, ok := bag["accountEnabled"].(bool); !ok || !v {
			return errors.New("AssertAccountEnabledIsTrue: the account is disabled")
		}
		return nil
	}
	t, err := b.findTransformation(id)
	if err != nil {
		b.t.Fatal(err)
	}
	in := func(name string) (any, error) {
		v, ok := bag[t.InputClaims[name]]
		if !ok {
			return nil, fmt.Errorf("%s: input claim %s is missing", id, t.InputClaims[name])
		}
		return v, nil
	}
	boolIn := func(name string) (bool, error) {
		v, err := in(name)
		if err != nil {
			return false, err
		}
		bv, ok := v.(bool)
		if !ok {
			return false, fmt.Errorf("%s: %s is not a boolean", id, t.InputClaims[name])
		}
		return bv, nil
	}
	out := func(name string, v any) { bag[t.OutputClaims[name]] = v }
	switch t.Method {
	case "CreateStringClaim":
		out("createdClaim", t.Parameters["value"])
	case "AssertBooleanClaimIsEqualToValue":
		v, err := boolIn("inputClaim")
		if err != nil {
			return err
		}
		if v != strings.EqualFold(t.Parameters["valueToCompareTo"], "true") {
			return fmt.Errorf("%s: assertion failed", id)
		}
	case "CompareClaims":
		a, err := in("inputClaim1")
		if err != nil {
			return err
		}
		c, err := in("inputClaim2")
		if err != nil {
			return err
		}
		equal := fmt.Sprint(a) == fmt.Sprint(c)
		if strings.EqualFold(t.Parameters["ignoreCase"], "true") {
			equal = strings.EqualFold(fmt.Sprint(a), fmt.Sprint(c))
		}
		switch t.Parameters["operator"] {
		case "EQUAL":
		case "NOT EQUAL":
			equal = !equal
		default:
			b.t.Fatalf("%s: operator %q is not modelled", id, t.Parameters["operator"])
		}
		out("outputClaim", equal)
	case "CompareClaimToValue":
		a, err := in("inputClaim1")
		if err != nil {
			return err
		}
		equal := fmt.Sprint(a) == t.Parameters["compareTo"]
		if strings.EqualFold(t.Parameters["ignoreCase"], "true") {
			equal = strings.EqualFold(fmt.Sprint(a), t.Parameters["compareTo"])
		}
		switch strings.ToLower(t.Parameters["operator"]) {
		case "equal":
		case "not equal":
			equal = !equal
		default:
			b.t.Fatalf("%s: operator %q is not modelled", id, t.Parameters["operator"])
		}
		out("outputClaim", equal)
	case "DoesClaimExist":
		_, ok := bag[t.InputClaims["inputClaim"]]
		out("outputClaim", ok)
	case "NotClaims":
		v, err := boolIn("inputClaim")
		if err != nil {
			return err
		}
		out("outputClaim", !v)
	case "AndClaims", "OrClaims":
		x, err := boolIn("inputClaim1")
		if err != nil {
			return err
		}
		y, err := boolIn("inputClaim2")
		if err != nil {
			return err
		}
		if t.Method == "AndClaims" {
			out("outputClaim", x && y)
		} else {
			out("outputClaim", x || y)
		}
	case "CreateAlternativeSecurityId":
		k, err := in("key")
		if err != nil {
			return err
		}
		p, err := in("identityProvider")
		if err != nil {
			return err
		}
		out("alternativeSecurityId", identity{Issuer: fmt.Sprint(p), IssuerUserID: fmt.Sprint(k)})
	case "AddItemToAlternativeSecurityIdCollection":
		v, err := in("item")
		if err != nil {
			return err
		}
		item, ok := v.(identity)
		if !ok {
			return fmt.Errorf("%s: item %s is not an alternativeSecurityId", id, t.InputClaims["item"])
		}
		// A user without federated identities has no collection: the item starts one, as in
		// Microsoft's account-linkage sample, which links to local accounts the same way.
		list, _ := bag[t.InputClaims["collection"]].([]identity)
		if !slices.Contains(list, item) {
			list = append(slices.Clone(list), item)
		}
		out("collection", list)
	case "RemoveAlternativeSecurityIdByIdentityProvider":
		list, _ := bag[t.InputClaims["collection"]].([]identity)
		provider, err := in("identityProvider")
		if err != nil {
			return err
		}
		out("collection", slices.DeleteFunc(slices.Clone(list), func(x identity) bool { return x.Issuer == fmt.Sprint(provider) }))
	case "GetIdentityProvidersFromAlternativeSecurityIdCollectionTransformation":
		v, err := in("alternativeSecurityIdCollection")
		if err != nil {
			return err
		}
		var providers []string
		for _, x := range v.([]identity) {
			providers = append(providers, x.Issuer)
		}
		out("identityProvidersCollection", providers)
	case "StringCollectionContains":
		v, err := in("inputClaim")
		if err != nil {
			return err
		}
		item := t.Parameters["item"]
		ignoreCase := strings.EqualFold(t.Parameters["ignoreCase"], "true")
		out("outputClaim", slices.ContainsFunc(v.([]string), func(s string) bool {
			return s == item || (ignoreCase && strings.EqualFold(s, item))
		}))
	case "StringJoin":
		v, err := in("inputClaim")
		if err != nil {
			return err
		}
		out("outputClaim", strings.Join(v.([]string), t.Parameters["delimiter"]))
	default:
		b.t.Fatalf("claims transformation method %s is not modelled", t.Method)
	}
	return nil
}

// issue is SendClaims: the relying party's OutputClaims, under their PartnerClaimType; a
// claim the bag does not hold is left out. It also returns what the refresh token issued with
// the token carries: the account, the issue time and the token's claims by claim type.
func (b *b2cTenant) issue(rp policy.RelyingParty, bag map[string]any) (map[string]any, map[string]any) {
	out := map[string]any{}
	stored := map[string]any{"objectId": bag["objectId"], "refreshTokenIssuedOnDateTime": b.clock}
	for _, c := range rp.OutputClaims {
		name := c.PartnerClaimType
		if name == "" {
			name = c.ClaimType
		}
		v, ok := bag[c.ClaimType]
		if c.AlwaysUseDefaultValue || (!ok && c.DefaultValue != "") {
			v, ok = c.DefaultValue, true
		}
		if ok {
			out[name] = v
			stored[c.ClaimType] = v
		}
	}
	return out, stored
}
