package app

import (
	"errors"
	"fmt"
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
	signInName, password string
	identities           []identity
	attrs                map[string]string // givenName, surname, displayName
}

// directory is the tenant's user store.
type directory struct {
	users []*dirUser
	next  int
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
	// postClaims are values a crafted form posts for a page's output claims. Whether B2C takes
	// a value for a claim the page does not display is not documented, so the model assumes
	// the worst: it does, unless the claim is AlwaysUseDefaultValue.
	postClaims map[string]any
}

// journeyResult is how a run of a journey ended.
type journeyResult struct {
	token map[string]any // the relying party's claims, by the names the application sees
	page  string         // the self-asserted page the journey ended on, when it did not issue
	err   error          // a B2C error page
}

// b2cTenant holds one tenant's directory and one browser's B2C session.
type b2cTenant struct {
	w           *world
	t           *testing.T
	files       map[string][]byte
	types       map[string]string
	dir         *directory
	session     map[string]map[string]any // technical profile id -> the claims its session persisted
	bridgeCalls int
}

func newB2CTenant(t *testing.T, w *world, files map[string][]byte) *b2cTenant {
	types, err := policy.ClaimDataTypes(files)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"newUser", "objectIdFromSession"} {
		types[c] = "boolean"
	}
	return &b2cTenant{w: w, t: t, files: files, types: types, dir: &directory{}, session: map[string]map[string]any{}}
}

// newBrowserSession forgets the B2C session, as a private window would.
func (b *b2cTenant) newBrowserSession() { b.session = map[string]map[string]any{} }

var errStop = errors.New("journey ended on a page")

// run runs the default journey of the relying party file rp.
func (b *b2cTenant) run(rpFile string, user browserUser) journeyResult {
	b.t.Helper()
	rps, err := policy.RelyingParties(b.files)
	if err != nil {
		b.t.Fatal(err)
	}
	i := slices.IndexFunc(rps, func(r policy.RelyingParty) bool { return r.File == rpFile })
	if i < 0 {
		b.t.Fatalf("no relying party file %s", rpFile)
	}
	rp := rps[i]
	j, err := policy.FindJourney(b.files, rp.Journey)
	if err != nil {
		b.t.Fatal(err)
	}
	bag := map[string]any{}
	selected := ""
	for _, s := range j.Steps {
		if b.skip(s, bag) {
			continue
		}
		var runErr error
		switch s.Type {
		case "CombinedSignInAndSignUp", "ClaimsProviderSelection":
			if user.chooseLocal {
				if len(s.Exchanges) != 1 {
					b.t.Fatalf("step %d offers no local sign-in", s.Order)
				}
				runErr = b.runProfile(s.Exchanges[0].ProfileID, bag, user)
			} else if len(s.Selections) > 0 {
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
			return journeyResult{token: b.issue(rp, bag)}
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

// starterPackSession are the starter pack's session providers (TrustFrameworkBase.xml).
func starterPackSession(id string) (sessionProvider, bool) {
	aad := sessionProvider{id: id, persisted: []string{"objectId", "signInName", "authenticationSource", "identityProvider",
		"newUser", "executed-SelfAsserted-Input"}, outputs: map[string]any{"objectIdFromSession": true}}
	switch id {
	case "SM-Noop":
		return sessionProvider{id: id, noop: true}, true
	case "SM-AAD", "SM-SocialSignup":
		return aad, true
	case "SM-SocialLogin": // ExternalLoginSSOSessionProvider
		return sessionProvider{id: id, persisted: []string{"alternativeSecurityId"}}, true
	}
	return sessionProvider{}, false
}

// starterPackProfileSession is the session provider of the starter pack's own profiles; the
// AAD-* profiles without one inherit AAD-Common's SM-Noop.
func starterPackProfileSession(id string) string {
	switch id {
	case "SelfAsserted-LocalAccountSignin-Email", "LocalAccountSignUpWithLogonEmail", "AAD-UserWriteUsingAlternativeSecurityId":
		return "SM-AAD"
	case "SelfAsserted-Social":
		return "SM-SocialSignup"
	}
	return "SM-Noop"
}

func (b *b2cTenant) sessionFor(profileID string) sessionProvider {
	b.t.Helper()
	ref := ""
	if p, err := policy.FindProfile(b.files, profileID); err == nil {
		ref = p.SessionManagement
		if ref == "" && slices.Contains(p.IncludesKnown, "AAD-Common") {
			ref = "SM-Noop"
		}
	} else {
		ref = starterPackProfileSession(profileID)
	}
	if ref == "" {
		return sessionProvider{noop: true} // no session management: nothing is remembered
	}
	if p, err := policy.FindProfile(b.files, ref); err == nil {
		// A session provider of the files' own: what its handler does, with its PersistedClaims.
		sp := sessionProvider{id: ref, noop: strings.Contains(p.Handler, "NoopSSOSessionProvider")}
		for _, c := range p.PersistedClaims {
			sp.persisted = append(sp.persisted, c.ClaimType)
		}
		if !sp.noop && !strings.Contains(p.Handler, "DefaultSSOSessionProvider") && !strings.Contains(p.Handler, "ExternalLoginSSOSessionProvider") {
			b.t.Fatalf("session provider %s (%s) is not modelled", ref, p.Handler)
		}
		return sp
	}
	sp, ok := starterPackSession(ref)
	if !ok {
		b.t.Fatalf("session provider %s is not modelled", ref)
	}
	return sp
}

// runProfile runs a claims exchange's technical profile. Within the session, a profile whose
// session provider remembered it is skipped and only the claims that provider persisted come
// back (Microsoft's SSO session reference), which is what makes SM-SocialLogin lose every
// claim but alternativeSecurityId on a second sign-in.
func (b *b2cTenant) runProfile(id string, bag map[string]any, user browserUser) error {
	sp := b.sessionFor(id)
	if !sp.noop {
		if kept, ok := b.session[id]; ok {
			for k, v := range kept {
				bag[k] = v
			}
			for k, v := range sp.outputs {
				bag[k] = v
			}
			return nil
		}
	}
	if err := b.execute(id, bag, user); err != nil {
		return err
	}
	if !sp.noop {
		kept := map[string]any{}
		for _, c := range sp.persisted {
			v, ok := bag[c]
			// A stringCollection does not survive the session store.
			if _, isList := v.([]string); ok && !isList {
				kept[c] = v
			}
		}
		b.session[id] = kept
	}
	return nil
}

func (b *b2cTenant) execute(id string, bag map[string]any, user browserUser) error {
	p, err := policy.FindProfile(b.files, id)
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
		if _, ok := bag[c.ClaimType]; !ok && c.DefaultValue != "" {
			b.set(bag, c.ClaimType, c.DefaultValue)
		}
		if _, ok := bag[c.ClaimType]; !ok && c.Required {
			return fmt.Errorf("%s: required input claim %s is missing", id, c.ClaimType)
		}
	}
	switch p.Kind {
	case policy.KindOpenIDConnect:
		if err := b.federate(id, bag, user); err != nil {
			return err
		}
	case policy.KindAzureActiveDirectory:
		if err := b.directoryOperation(p, bag); err != nil {
			return err
		}
	case policy.KindSelfAsserted:
		if err := b.page(p, bag, user); err != nil {
			return err
		}
	case policy.KindClaimsTransformation:
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

// federate is the OpenIdConnect profile: B2C's OIDC client driven by the profile's metadata
// against the real bridge, then the OutputClaims mapping and output claims transformations.
func (b *b2cTenant) federate(id string, bag map[string]any, user browserUser) error {
	b.t.Helper()
	profile, err := policy.FindOIDCProfile(b.files, id)
	if err != nil {
		b.t.Fatal(err)
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
	p, err := policy.FindProfile(b.files, id)
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

// directoryOperation is an AzureActiveDirectory profile of the files: Read or Write, keyed by
// its first input claim (objectId or alternativeSecurityId).
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
		if p.Metadata["RaiseErrorIfClaimsPrincipalDoesNotExist"] == "true" {
			return fmt.Errorf("%s: the user does not exist", p.ID)
		}
		return nil
	}
	switch p.Metadata["Operation"] {
	case "Read":
	case "Write":
		for _, c := range p.PersistedClaims {
			v, ok := bag[c.ClaimType]
			if !ok {
				continue // B2C writes only the claims it holds
			}
			switch c.ClaimType {
			case "objectId":
			case "alternativeSecurityIds":
				u.identities = slices.Clone(v.([]identity))
			default:
				u.attrs[c.ClaimType] = fmt.Sprint(v)
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
		case "alternativeSecurityIds":
			bag[c.ClaimType] = slices.Clone(u.identities)
		default:
			if v, ok := u.attrs[from]; ok {
				bag[c.ClaimType] = v
			}
		}
	}
	return nil
}

// page is a self-asserted page of the files. One without a Continue button ends the journey
// there, unless the browser posts it anyway; then its validation profiles decide.
func (b *b2cTenant) page(p policy.Profile, bag map[string]any, user browserUser) error {
	if p.Metadata["setting.showContinueButton"] == "false" && !user.postHiddenContinue {
		return pageShown{p.ID}
	}
	for _, c := range p.OutputClaims {
		if v, ok := user.postClaims[c.ClaimType]; ok {
			b.set(bag, c.ClaimType, v)
		}
	}
	for _, c := range p.OutputClaims {
		if _, ok := bag[c.ClaimType]; (!ok || c.AlwaysUseDefaultValue) && c.DefaultValue != "" {
			b.set(bag, c.ClaimType, c.DefaultValue)
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
		for _, u := range b.dir.users {
			if u.signInName != "" && u.signInName == user.signInName && u.password == user.password {
				bag["signInName"], bag["objectId"], bag["authenticationSource"] = u.signInName, u.objectID, "localAccountAuthentication"
				return nil
			}
		}
		return pageShown{id} // wrong password: the page stays
	case "AAD-UserReadUsingObjectId":
		u := b.dir.byObjectID(fmt.Sprint(bag["objectId"]))
		if u == nil {
			return errors.New("AAD-UserReadUsingObjectId: the user does not exist")
		}
		for _, n := range names {
			if v, ok := u.attrs[n]; ok {
				bag[n] = v
			}
		}
		return nil
	case "AAD-UserReadUsingAlternativeSecurityId-NoError":
		id, _ := bag["alternativeSecurityId"].(identity)
		if u := b.dir.byIdentity(id); u != nil {
			bag["objectId"] = u.objectID
			for _, n := range names {
				if v, ok := u.attrs[n]; ok {
					bag[n] = v
				}
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
		u := b.dir.add(&dirUser{identities: []identity{id}, attrs: map[string]string{"displayName": "unknown"}})
		for _, n := range names {
			if v, ok := bag[n]; ok {
				u.attrs[n] = fmt.Sprint(v)
			}
		}
		bag["objectId"], bag["newUser"] = u.objectID, true
		return nil
	case "SelfAsserted-Social":
		for k, v := range user.editNames {
			bag[k] = v
		}
		bag["executed-SelfAsserted-Input"] = "true"
		return b.starterPack("AAD-UserWriteUsingAlternativeSecurityId", bag, user)
	}
	b.t.Fatalf("starter pack profile %s is not modelled", id)
	return nil
}

// transform runs a claims transformation: the files' own by TransformationMethod, the starter
// pack's by id.
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
	}
	t, err := policy.FindTransformation(b.files, id)
	if err != nil {
		b.t.Fatal(err)
	}
	in := func(name string) any { return bag[t.InputClaims[name]] }
	switch t.Method {
	case "CreateStringClaim":
		bag[t.OutputClaims["createdClaim"]] = t.Parameters["value"]
	case "AssertBooleanClaimIsEqualToValue":
		if b2cText(in("inputClaim")) != b2cText(strings.EqualFold(t.Parameters["valueToCompareTo"], "true")) {
			return fmt.Errorf("%s: assertion failed", id)
		}
	case "CompareClaims":
		a, aok := in("inputClaim1").(string)
		c, cok := in("inputClaim2").(string)
		if !aok || !cok {
			return fmt.Errorf("%s: an input claim is missing", id)
		}
		equal := a == c
		if strings.EqualFold(t.Parameters["ignoreCase"], "true") {
			equal = strings.EqualFold(a, c)
		}
		switch t.Parameters["operator"] {
		case "EQUAL":
		case "NOT EQUAL":
			equal = !equal
		default:
			b.t.Fatalf("%s: operator %q is not modelled", id, t.Parameters["operator"])
		}
		bag[t.OutputClaims["outputClaim"]] = equal
	case "AddItemToAlternativeSecurityIdCollection":
		item, ok := in("item").(identity)
		if !ok {
			return fmt.Errorf("%s: item %s is not an alternativeSecurityId", id, t.InputClaims["item"])
		}
		list, _ := in("collection").([]identity)
		if !slices.Contains(list, item) {
			list = append(slices.Clone(list), item)
		}
		bag[t.OutputClaims["collection"]] = list
	case "RemoveAlternativeSecurityIdByIdentityProvider":
		list, _ := in("collection").([]identity)
		provider := fmt.Sprint(in("identityProvider"))
		bag[t.OutputClaims["collection"]] = slices.DeleteFunc(slices.Clone(list), func(x identity) bool { return x.Issuer == provider })
	default:
		b.t.Fatalf("claims transformation method %s is not modelled", t.Method)
	}
	return nil
}

// issue is SendClaims: the relying party's OutputClaims, under their PartnerClaimType; a
// claim the bag does not hold is left out.
func (b *b2cTenant) issue(rp policy.RelyingParty, bag map[string]any) map[string]any {
	out := map[string]any{}
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
		}
	}
	return out
}
