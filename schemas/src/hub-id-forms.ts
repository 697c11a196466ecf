/**
 * The compact form of a hub id, where Redis keeps one per message (docs/decisions/0064, 0110, 0119): a hub id in
 * the canonical UUID form (every hub id the ledger makes) as the 22 base64url characters of its 16 bytes, 14 B
 * less than its 36 characters. The read model's index members and the ledger's marker hash names are this form;
 * the router's facts script spells the same rule in Lua (`COMPACT_HUB_ID_LUA` in packages/ledger, a function
 * `compactHubId`, held to this one by a test).
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const COMPACT = /^[A-Za-z0-9_-]{22}$/;
const ESCAPE = "~";

/** A UUID's 16 bytes as 22 base64url characters. Unchecked: for ids the hub derives, which are UUIDs. */
export function shortUuid(uuid: string): string {
  return Buffer.from(uuid.replaceAll("-", ""), "hex").toString("base64url");
}

/**
 * A hub id in its compact form: a UUID as `shortUuid`; any other hub id (tests, hand-made ids) as itself, with a
 * leading `~` when it could be read as a compact one or starts with `~`, so no two hub ids share a form.
 */
export function compactHubId(hubId: string): string {
  if (UUID.test(hubId)) return shortUuid(hubId);
  return COMPACT.test(hubId) || hubId.startsWith(ESCAPE) ? `${ESCAPE}${hubId}` : hubId;
}

/** The hub id a compact form names (`compactHubId`'s inverse); a hub id that is neither form reads as itself. */
export function hubIdOfCompact(compact: string): string {
  if (compact.startsWith(ESCAPE)) return compact.slice(ESCAPE.length);
  if (!COMPACT.test(compact)) return compact;
  const hex = Buffer.from(compact, "base64url").toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
