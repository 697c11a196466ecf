/**
 * The member a message has in the read model's indexes (docs/decisions/0064-compact-index-members.md): its hub id's
 * compact form (`compactHubId`, @carehub/schemas) — a UUID (every hub id the ledger makes) in the 22 base64url
 * characters of its 16 bytes instead of its 36, 16 B less per sorted-set entry in Redis (145 → 129 B measured), in
 * each of a message's seven or so index entries; any other hub id (tests, hand-made ids) is its own member, escaped
 * with a leading `~` when it could be read as either form, so every member names one hub id. Readers take both
 * forms (`hubIdOfMember`), so an index written before the change (the UUID as the member) still reads until
 * `carehub rebuild` rewrites it. The ledger names a message's marker hash by the same form (0119).
 */
export { compactHubId as indexMember, hubIdOfCompact as hubIdOfMember } from "@carehub/schemas";
