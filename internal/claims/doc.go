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
//   - Group claims: idme_groups (sorted names of verified groups) and
//     idme_subgroups (subgroups of verified groups, verbatim, in order seen),
//     each omitted when empty (B2C reads an array as a stringCollection, and
//     an empty one is not safe), and one idme_<group>_verified boolean,
//     always present, for every known group and every group ID.me listed.
//
// A group is reported only when ID.me marked it verified: an entry with
// verified false, or a group ID.me did not list, yields false and
// contributes no subgroups. The bridge never infers or aliases groups
// (first_responder is reported as first_responder, not as responder).
package claims
