import { compactHubId, shortUuid } from "@carehub/schemas";
import { messageHubId } from "./derived-ids.ts";

/**
 * Every Redis key of the message ledger, spelled once (docs/contracts.md "Redis keys"). Every key starts with
 * `<ns>:`; message ids are the senders' own, scoped by the sending endpoint so two senders never collide.
 */
export interface LedgerKeys {
  /**
   * Where the first copy of a sender's message is kept: the marker hash (`markers`) of the pair's derived hub id —
   * the hash the message's routed and delivered fields go to —, field `firstCopyField`
   * (docs/decisions/0124-first-copy-in-the-marker-hash.md). The value: its INGRESS position alone when it names
   * `derivedHubId(endpoint, messageId)` (docs/decisions/0082), else JSON {hubId, seq} (older records: that JSON, or
   * the bare hub id). Written by the ledger's first-copy script only (a field set once, and the hash's expiry at least
   * `retentionDays` from then).
   */
  firstCopy(endpoint: string, messageId: string): string;
  readonly firstCopyField: string;
  /**
   * The previous release's first-copy key (`msgid:<id22>`, named by the pair's derived hub id in 22 characters,
   * docs/decisions/0110; the same values): still read, never written, until it expires (0124).
   */
  messageId(endpoint: string, messageId: string): string;
  /** Older releases' first-copy key (`msgid:<endpoint>:<id>`, same values): still read, never written, until it expires. */
  formerMessageId(endpoint: string, messageId: string): string;
  /** The hub id a first copy under `messageId(endpoint, messageId)` names when its record is its position alone. */
  derivedHubId(endpoint: string, messageId: string): string;
  /** The acknowledgement the hub itself made for a message (a negative acknowledgement from intake or router). */
  hubAcknowledgement(hubId: string): string;
  /** The receiver's acknowledgement of a message, as the router relayed it to the sender. */
  relayedAcknowledgement(hubId: string): string;
  /**
   * Set when the router sends a message TO an endpoint, to `receivedMark`; only its presence is read (loop
   * detection; a correction of someone else's message). Older releases stored the hub id: read the same. Named
   * like `messageId`, by the pair's derived hub id in 22 characters (0110).
   */
  received(endpoint: string, messageId: string): string;
  /** Older releases' received key (`rcvd:<endpoint>:<id>`): still read, never written, until it expires. */
  formerReceived(endpoint: string, messageId: string): string;
  /** The value of a `received` key: a small integer, which Redis keeps without a string (0082). */
  readonly receivedMark: string;
  /**
   * A message's long-lived markers, one hash per message (docs/decisions/0063-one-marker-hash-per-message.md):
   * field `firstCopyField` = the sender's first copy (`firstCopy`, 0124), set when the gateway or intake records it;
   * field `routedField` = JSON array of the endpoint ids it was routed to ([] when rejected), set by the router;
   * field `deliveredField(receiver)` = the delivery record, set once it reached that receiver (no double
   * delivery, the ordering of corrections), by the dispatcher; `deliveredField(receiver, n)` = the same for the
   * operator's re-send number n of a delivered message (its own delivery identity, docs/decisions/0072);
   * field `resendsField(receiver)` = how many re-sends to that receiver were made (the counter that numbers
   * them). Kept `retentionDays` after its last routed or delivered write (counting a re-send does not extend it; a
   * hash a re-send makes takes the older hash's remaining time, else `retentionDays`: the dispatcher's resend.ts),
   * and at least `retentionDays` from the first copy's write (0124: raised, never shortened, by that write).
   * Named by the hub id's 22 characters when it is a UUID (every hub id the ledger makes; any other as itself,
   * escaped as an index member is: `compactHubId`, docs/decisions/0119-record-event-ids-by-code.md): 16 B less per
   * message than its 36.
   */
  markers(hubId: string): string;
  /**
   * Older releases' marker hash (`mk:<hubId>`, the same fields): still read, never written, until it expires. A
   * message routed or delivered before the upgrade keeps those fields there; each field is read in both.
   */
  formerMarkers(hubId: string): string;
  /**
   * What every marker hash's key starts with (`<ns>:mk:`), then `compactHubId(hubId)` (`markers`) or the whole hub id
   * (`formerMarkers`): for a script that names marker hashes from hub ids it reads in Redis (COMPACT_HUB_ID_LUA).
   */
  readonly markersPrefix: string;
  readonly routedField: string;
  deliveredField(endpoint: string, resend?: number): string;
  resendsField(endpoint: string): string;
  /** Older releases' routed marker (a key of its own): still read, never written, until it expires. */
  routed(hubId: string): string;
  /** Older releases' delivered marker (a key of its own): still read, never written, until it expires. */
  delivered(endpoint: string, hubId: string): string;
  /** Set when a message was dead-lettered at a receiver (cleared on delivery): what waits for it gives up. */
  deadLettered(endpoint: string, hubId: string): string;
  /** The attempts of a message at a receiver (hash: copy, attempts, total, a:<n> = attempt record). */
  attempts(endpoint: string, hubId: string): string;
}

/** How many derived hub ids a key speller remembers: more than a process has messages in hand at once. */
const DERIVED_HUB_IDS = 1_024;

/**
 * The tail of a marker hash's key (0119) is the hub id's compact form, as the read model's index members (0064):
 * `compactHubId`, @carehub/schemas, the one function — a UUID hub id as its 22 base64url characters; any other hub
 * id (tests, hand-made ids) as itself, with a `~` before it when it could be read as a compact one or starts with
 * `~`, so no two hub ids share a name. The router's facts script names a marker hash from a hub id it reads from
 * Redis: this is the same rule in Lua, a function `compactHubId(hubId)` (a test holds the two to the same names).
 */
export const COMPACT_HUB_ID_LUA = `
local function compactHubId(id)
  local hex = '%x%x%x%x'
  if not string.find(id, '%u') and string.match(id, '^' .. hex .. hex .. '%-' .. hex .. '%-' .. hex .. '%-' .. hex .. '%-' .. hex .. hex .. hex .. '$') then
    local digits = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    local bytes = string.gsub(id, '-', '')
    local out = {}
    local function put(n)
      local k = math.floor(n) % 64 + 1
      out[#out + 1] = string.sub(digits, k, k)
    end
    for i = 1, 25, 6 do
      local n = tonumber(string.sub(bytes, i, i + 5), 16)
      put(n / 262144) put(n / 4096) put(n / 64) put(n)
    end
    local last = tonumber(string.sub(bytes, 31, 32), 16)
    put(last / 4) put(last * 16)
    return table.concat(out)
  end
  if string.sub(id, 1, 1) == '~' or (#id == 22 and string.match(id, '^[%w_%-]+$')) then return '~' .. id end
  return id
end
`;

/** A pair's derived hub id and its 22-character form, derived together once. */
interface Derived {
  hubId: string;
  short: string;
}

export function ledgerKeys(ns: string): LedgerKeys {
  /*
   * The hub ids derived lately, by sender and message id: each stage derives a pair's id more than once (the
   * gateway when it admits the message and when it records it, intake when it names it and when it claims it,
   * the router for a key and its value), and a SHA-1 per derivation is the dearer part. Bounded by two
   * generations of DERIVED_HUB_IDS / 2 pairs each: when the young one is full it becomes the old one, and the old
   * one is dropped whole. Not a Map emptied from its oldest entry: V8 leaves a deleted entry in place until the
   * table is rebuilt, so finding the oldest live one stepped over up to a thousand deleted ones per new pair
   * (about 1–2.5 µs, more than the SHA-1 the memory saves; docs/decisions/0117).
   */
  let young = new Map<string, Derived>();
  let old = new Map<string, Derived>();
  // The pair asked for last: a stage asks for one message's id and keys one after another (the gateway four times
  // per message), and comparing two strings is cheaper than making and hashing the entry's (0117).
  let last = { endpoint: "", messageId: "", derived: undefined as Derived | undefined };
  const derive = (endpoint: string, messageId: string): Derived => {
    if (last.derived !== undefined && last.endpoint === endpoint && last.messageId === messageId) return last.derived;
    // The endpoint's length first: the entry names one pair only, whatever characters either holds.
    const entry = `${endpoint.length}:${endpoint}${messageId}`;
    let derived = young.get(entry);
    if (derived === undefined) {
      derived = old.get(entry);
      if (derived === undefined) {
        const hubId = messageHubId(ns, endpoint, messageId);
        derived = { hubId, short: shortUuid(hubId) };
      }
      if (young.size >= DERIVED_HUB_IDS / 2) {
        old = young;
        young = new Map();
      }
      young.set(entry, derived);
    }
    last = { endpoint, messageId, derived };
    return derived;
  };
  const derivedHubId = (endpoint: string, messageId: string): string => derive(endpoint, messageId).hubId;
  const markersPrefix = `${ns}:mk:`;
  /**
   * A marker hash's key from its name: `compactHubId(hubId)` (a derived hub id's is the `short` derived with it), or an
   * older release's, the whole hub id.
   */
  const markersNamed = (name: string): string => `${markersPrefix}${name}`;
  return {
    // compactHubId of a derived hub id (a UUID) is its 22 characters: the `short` derived with it.
    firstCopy: (endpoint, messageId) => markersNamed(derive(endpoint, messageId).short),
    firstCopyField: "f",
    messageId: (endpoint, messageId) => `${ns}:msgid:${derive(endpoint, messageId).short}`,
    formerMessageId: (endpoint, messageId) => `${ns}:msgid:${endpoint}:${messageId}`,
    derivedHubId,
    hubAcknowledgement: (hubId) => `${ns}:ack:${hubId}`,
    relayedAcknowledgement: (hubId) => `${ns}:ackmsg:${hubId}`,
    received: (endpoint, messageId) => `${ns}:rcvd:${derive(endpoint, messageId).short}`,
    formerReceived: (endpoint, messageId) => `${ns}:rcvd:${endpoint}:${messageId}`,
    receivedMark: "1",
    markers: (hubId) => markersNamed(compactHubId(hubId)),
    formerMarkers: (hubId) => markersNamed(hubId),
    markersPrefix,
    routedField: "r",
    deliveredField: (endpoint, resend) => (resend === undefined ? `d:${endpoint}` : `d:${endpoint}:${resend}`),
    resendsField: (endpoint) => `n:${endpoint}`,
    routed: (hubId) => `${ns}:routed:${hubId}`,
    delivered: (endpoint, hubId) => `${ns}:delivered:${endpoint}:${hubId}`,
    deadLettered: (endpoint, hubId) => `${ns}:dead:${endpoint}:${hubId}`,
    attempts: (endpoint, hubId) => `${ns}:attempts:${endpoint}:${hubId}`,
  };
}
