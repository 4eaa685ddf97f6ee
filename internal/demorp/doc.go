// Package demorp is a small relying party that signs in against the bridge the way Azure AD B2C's
// OpenIdConnect technical profile does: authorization code flow, response_mode=form_post,
// client_secret_post, a nonce, no PKCE, RS256 id_tokens only, claims read from the id_token.
//
// It exists for local development: a newcomer clicks a "Sign in with ID.me" button, goes through
// the bridge (and the ID.me simulator behind it) and lands on a page that shows every claim B2C
// would receive, the token's header, the raw payload, and whether userinfo agrees.
//
// It is deliberately not a production client: pending sign-ins live in memory, and the page shows
// personal data it receives.
package demorp
