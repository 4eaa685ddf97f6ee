// Package policy renders and checks the Azure AD B2C custom policy files in policies/: the files
// that make a tenant's existing starter pack federate to the bridge.
//
// The files are templates in the convention of the B2C VS Code extension: {Settings:Name} tokens
// whose values come from appsettings.json, one set per environment. A file with {Community:Name}
// tokens is rendered once per community the environment lists (ExpandCommunities). RenderFiles
// substitutes them and refuses while a token has no value. Microsoft's XML schema (checked with
// xmllint by Validate) treats references and metadata keys as free text, and B2C reports a bad
// one only at upload, or worse, at sign-in; Check finds them before that, with B2C's upload
// rules (policy key names, UsePolicyInRedirectUri) and the claim flow of each journey, and
// Agrees confirms that the OpenIdConnect profiles point at the bridge they are meant for. The
// render command runs all of them in memory and writes only when every one passes.
package policy
