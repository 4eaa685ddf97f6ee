// Package claims translates what ID.me reports about a user into the claims
// an Azure AD B2C tenant receives in the id_token and from userinfo.
//
// The claim set has three parts:
//
//   - Attribute claims, copied from ID.me attribute handles through one
//     declarative table (see DefaultMappings), e.g. uuid -> sub,
//     fname -> given_name. An operator may add rows or replace a default row
//     by handle (see ParseMappings). Empty values are omitted, never
//     defaulted.
//   - name, derived as "given family" only when ID.me supplied both parts.
//   - Group claims, always present so a B2C policy can map them without
//     guarding for absence: idme_groups (sorted names of verified groups),
//     idme_subgroups (subgroups of verified groups, verbatim, in order seen)
//     and one idme_<group>_verified boolean for every known group and every
//     group ID.me listed.
//
// A group is reported only when ID.me marked it verified: an entry with
// verified false, or a group ID.me did not list, yields false and
// contributes no subgroups. The bridge never infers or aliases groups
// (first_responder is reported as first_responder, not as responder).
package claims
