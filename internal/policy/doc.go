// Package policy renders and checks the Azure AD B2C custom policy files in policies/: the files
// that make a tenant's existing starter pack federate to the bridge.
//
// The files are templates in the convention of the B2C VS Code extension: {Settings:Name} tokens
// whose values come from appsettings.json, one set per environment. Render substitutes them and
// refuses to write anything while a token has no value. Microsoft's XML schema (checked with
// xmllint by Validate) treats references and metadata keys as free text, and B2C reports a bad
// one only at upload, or worse, at sign-in; Check finds them before that, and Agrees confirms
// that the OpenIdConnect profile points at the bridge it is meant for.
package policy
