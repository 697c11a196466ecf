import { COMPACT_HUB_ID_LUA, parseFirstCopy } from "@carehub/ledger";
import type { Envelope } from "@carehub/schemas";
import type { Redis } from "ioredis";
import { correctedLabSample, type RouteFacts, supersededMessageId } from "./route-resolver.ts";
import type { RouterKeys } from "./router-keys.ts";
import { type RoutingRegistry, resolveAddressee } from "./routing-registry.ts";

/** Which facts the resolver will need for one message: computed purely from the message and the registry. */
export interface FactLookups {
  /** Ids whose received marker (`rcvd:`, 0110) would show the sender is passing on something it received. */
  sourceReceivedIds: string[];
  /** The id of the original a correction / retraction links to (looked up at its first copy: 0110, 0124). */
  supersededId?: string;
  /**
   * For a correction / retraction by link: the endpoints it may reach — those it addresses and every routing
   * rule's targets — whose received marker for the superseded id would show they hold a message with that id (and
   * so, if the sender never sent one, someone else's).
   */
  supersededHolders?: string[];
  /** The sample of a corrected lab result without a link (its original is at `labsample:<source>:<sample>`). */
  correctedSample?: string;
  /** For an acknowledgement: the original's sender (its addressee) and the id it answers. */
  acknowledged?: { endpoint: string; messageId: string };
}

export function planFactLookups(envelope: Envelope, registry: RoutingRegistry): FactLookups {
  const { links } = envelope;
  const ids = [envelope.messageId, links.corrects?.messageId, links.retracts?.messageId, links.forwards?.messageId];
  const lookups: FactLookups = { sourceReceivedIds: [...new Set(ids.filter((id) => id !== undefined))] };
  const superseded = supersededMessageId(envelope);
  if (superseded !== undefined) {
    lookups.supersededId = superseded;
    const holders = reachableEndpoints(envelope, registry).filter((id) => id !== envelope.sourceEndpoint);
    if (holders.length > 0) lookups.supersededHolders = holders;
  }
  const sample = correctedLabSample(envelope);
  if (sample !== undefined) lookups.correctedSample = sample;
  if (envelope.content.kind === "acknowledgement") {
    for (const party of envelope.receivers) {
      const addressee = resolveAddressee(party, registry);
      const endpoint =
        addressee.type === "endpoint" ? addressee.endpoint.id : addressee.type === "hub" ? registry.hub.id : undefined;
      if (endpoint !== undefined) {
        lookups.acknowledged = { endpoint, messageId: envelope.content.respondsTo };
        break;
      }
    }
  }
  return lookups;
}

/** Every endpoint a message could reach: the ones it addresses, and any rule's (a superset of the real route). */
function reachableEndpoints(envelope: Envelope, registry: RoutingRegistry): string[] {
  const ids = new Set<string>();
  for (const party of envelope.receivers) {
    const addressee = resolveAddressee(party, registry);
    if (addressee.type === "endpoint") ids.add(addressee.endpoint.id);
  }
  for (const rule of registry.rules()) for (const target of rule.copyTo) ids.add(target);
  return [...ids];
}

/**
 * Received markers (`rcvd:`, one per receiver and message id, 0110) written in the same round trip as the facts are read, after the
 * read: the receivers a message addresses are known before its facts (docs/decisions/0102-router-pace.md).
 */
export interface ReceiverMarks {
  keys: readonly string[];
  value: string;
  ttlSeconds: number;
}

/** The marks of `endpoints` each holding `messageId`, as the ledger spells the key and its value. */
export function receiverMarks(
  keys: Pick<RouterKeys, "received" | "receivedMark">,
  held: readonly { endpoint: string; messageId: string }[],
  ttlSeconds: number,
): ReceiverMarks {
  return { keys: held.map((h) => keys.received(h.endpoint, h.messageId)), value: keys.receivedMark, ttlSeconds };
}

/**
 * Writes received markers: the one place the router writes them (with the facts' read, and in route() for a rule's
 * copy or a letter). One `SET … EX` per key, issued together without waiting in between: they leave in one socket
 * write (the hub's client holds an event-loop turn's writes, docs/decisions/0098 and 0116). No pipeline object: it
 * costs more CPU than the round trip it saves, and one receiver is one command.
 */
export async function writeReceiverMarks(redis: Pick<Redis, "set">, marks: ReceiverMarks): Promise<void> {
  await Promise.all(marks.keys.map((key) => redis.set(key, marks.value, "EX", marks.ttlSeconds)));
}

/**
 * What the facts are read with: one script call, so a fact and the marker it points at cost one round trip.
 * `keys` are the script's KEYS, `args` its ARGV. `marks`, when given, are written in the same round trip, after
 * the read (so a message does not read a marker it writes itself; a script Redis lost is sent again after the marks,
 * which matters only for a correction whose own id is the one it corrects: decision 0102).
 */
export interface FactReader {
  readFacts(keys: readonly string[], args: readonly string[], marks?: ReceiverMarks): Promise<unknown>;
  /** The values alone (MGET): what a message that follows no other message needs, without a script call. */
  readValues(keys: readonly string[], marks?: ReceiverMarks): Promise<(string | null)[]>;
}

/**
 * MGET of KEYS, then, for each quadruple (KEYS index, a second KEYS index read when the first is absent or 0 for
 * none, the hub id those keys derive or "", the marker hash holding the first copy or "") in ARGV[5..] (older
 * releases' first-copy keys, docs/decisions/0110, or a labsample key and 0), the value found there or, when both are
 * absent and a first copy's hash is given, its field ARGV[4] (the ledger's `firstCopy`, 0124); then the routed
 * marker of the hub id that value names (a ledger first-copy record is decoded to its hub id: the derived one when
 * the record is its INGRESS position alone, docs/decisions/0082): field ARGV[3] of the marker hash (key prefix
 * ARGV[1], then the hub id's marker name: 0119; for the derived hub id that is the first copy's hash the quadruple
 * names, taken as sent), or of an older release's marker hash (the same prefix, then the whole hub id), or an older
 * release's routed key (prefix ARGV[2]). The marker's name is built from a value (a hub id), which is why this is
 * a script: the alternative is a second round trip after the MGET. Returns { values, markers, copies } with false
 * for absent keys and fields (`copies`: the first copy in the marker hash of each quadruple, read only when its
 * keys are absent).
 */
const READ_FACTS_SCRIPT = `${COMPACT_HUB_ID_LUA}
local values = redis.call('MGET', unpack(KEYS))
local markers = {}
local copies = {}
for i = 5, #ARGV, 4 do
  local at = (i - 1) / 4
  local hubId = values[tonumber(ARGV[i])] or values[tonumber(ARGV[i + 1])]
  if not hubId and ARGV[i + 3] ~= '' then
    hubId = redis.call('HGET', ARGV[i + 3], ARGV[4])
    copies[at] = hubId
  else
    copies[at] = false
  end
  -- A first-copy record is its position alone (the key's derived hub id) or JSON {hubId, seq} (the ledger's);
  -- a labsample marker or an older record, a bare id.
  if hubId and string.match(hubId, '^[1-9][0-9]*$') then
    hubId = ARGV[i + 2] ~= '' and ARGV[i + 2] or false
  elseif hubId and string.sub(hubId, 1, 1) == '{' then
    local ok, record = pcall(cjson.decode, hubId)
    hubId = ok and type(record) == 'table' and type(record.hubId) == 'string' and record.hubId or false
  end
  if hubId and hubId ~= '' then
    -- The derived hub id's marker hash is the first copy's, which the caller sent: not named again from the id.
    local named = (hubId == ARGV[i + 2] and ARGV[i + 3] ~= '') and ARGV[i + 3] or ARGV[1] .. compactHubId(hubId)
    markers[at] = redis.call('HGET', named, ARGV[3])
      or redis.call('HGET', ARGV[1] .. hubId, ARGV[3]) or redis.call('GET', ARGV[2] .. hubId)
  else
    markers[at] = false
  end
end
return { values, markers, copies }
`;

/** The name READ_FACTS_SCRIPT is defined under on a client (defineCommand). */
const READ_FACTS_COMMAND = "carehubReadRouteFacts";
type ScriptCommands = Record<typeof READ_FACTS_COMMAND, (...args: (string | number)[]) => Promise<unknown>>;
const readers = new WeakMap<Redis, FactReader>();

/**
 * The reader of a client: the script is defined on it once, so ioredis sends it as EVALSHA (EVAL once when
 * Redis lacks it), not with its text on every message.
 */
export function redisFactReader(redis: Redis): FactReader {
  let reader = readers.get(redis);
  if (reader === undefined) {
    // No numberOfKeys: the number of KEYS varies with the message and goes first.
    redis.defineCommand(READ_FACTS_COMMAND, { lua: READ_FACTS_SCRIPT });
    const command = (redis as unknown as ScriptCommands)[READ_FACTS_COMMAND].bind(redis);
    // The read first (issued before this is called), then the marks: Redis runs them in that order.
    const withMarks = async <T>(read: Promise<T>, marks: ReceiverMarks): Promise<T> => {
      const [values] = await Promise.all([read, writeReceiverMarks(redis, marks)]);
      return values;
    };
    reader = {
      readFacts: (keys, args, marks) => {
        const read = command(keys.length, ...keys, ...args);
        return marks === undefined ? read : withMarks(read, marks);
      },
      readValues: (keys, marks) => {
        const read = keys.length === 0 ? Promise.resolve([]) : redis.mget(...keys);
        return marks === undefined ? read : withMarks(read, marks);
      },
    };
    readers.set(redis, reader);
  }
  return reader;
}

/**
 * Reads the planned facts in one round trip: the markers, and the routed marker of every original found (a script);
 * a message that follows nothing (most: no correction, retraction or acknowledgement) reads its markers with MGET.
 */
export async function loadRouteFacts(
  redis: FactReader,
  keys: RouterKeys,
  message: { hubId: string; sourceEndpoint: string },
  lookups: FactLookups,
  marks?: ReceiverMarks,
): Promise<RouteFacts> {
  const { sourceEndpoint } = message;
  // Each fact is read at its key and, while older releases' keys last, at its former key too (0110): `at[j]` are
  // the indexes in `wanted` of fact j's keys, the former first (an older release's record is the earlier one).
  const wanted: string[] = [];
  const at: number[][] = [];
  const want = (...factKeys: string[]): number => {
    at.push(factKeys.map((key) => wanted.push(key) - 1));
    return at.length - 1;
  };
  const received = (endpoint: string, id: string) =>
    want(keys.formerReceived(endpoint, id), keys.received(endpoint, id));
  const firstCopy = (endpoint: string, id: string) =>
    want(keys.formerMessageId(endpoint, id), keys.messageId(endpoint, id));
  for (const id of lookups.sourceReceivedIds) received(sourceEndpoint, id);
  const supersededAt = at.length;
  if (lookups.supersededId !== undefined) firstCopy(sourceEndpoint, lookups.supersededId);
  else if (lookups.correctedSample !== undefined) want(keys.labSample(sourceEndpoint, lookups.correctedSample));
  const holdersAt = at.length;
  const supersededId = lookups.supersededId;
  for (const holder of supersededId === undefined ? [] : (lookups.supersededHolders ?? [])) {
    received(holder, supersededId as string);
  }
  const acknowledgedAt = at.length;
  if (lookups.acknowledged !== undefined) {
    firstCopy(lookups.acknowledged.endpoint, lookups.acknowledged.messageId);
  }
  const hasOriginal = lookups.supersededId !== undefined || lookups.correctedSample !== undefined;
  // The hub id a first-copy key derives names the message when its record is its position alone (0082).
  const supersededDerived = supersededId === undefined ? undefined : keys.derivedHubId(sourceEndpoint, supersededId);
  const acknowledgedDerived =
    lookups.acknowledged === undefined
      ? undefined
      : keys.derivedHubId(lookups.acknowledged.endpoint, lookups.acknowledged.messageId);
  // Where this release keeps a first copy (0124): none for a lab sample's latest result.
  const supersededCopy = supersededId === undefined ? undefined : keys.firstCopy(sourceEndpoint, supersededId);
  const acknowledgedCopy =
    lookups.acknowledged === undefined
      ? undefined
      : keys.firstCopy(lookups.acknowledged.endpoint, lookups.acknowledged.messageId);
  const followed: Followed[] = [
    ...(hasOriginal
      ? [{ at: at[supersededAt] as number[], derivedHubId: supersededDerived, firstCopy: supersededCopy }]
      : []),
    ...(lookups.acknowledged === undefined
      ? []
      : [{ at: at[acknowledgedAt] as number[], derivedHubId: acknowledgedDerived, firstCopy: acknowledgedCopy }]),
  ];
  const read =
    followed.length === 0
      ? { values: await redis.readValues(wanted, marks), markers: [], copies: [] }
      : await readFacts(redis, keys, wanted, followed, marks);
  const followedBy = (fact: number) => followed.findIndex((f) => f.at === at[fact]);
  // A first copy at older releases' keys, else in the marker hash (read by the script: 0124).
  const values = at.map(
    (indexes, fact) =>
      indexes.map((i) => read.values[i] ?? null).find((v) => v !== null) ?? read.copies[followedBy(fact)] ?? null,
  );
  const markerOf = (fact: number) => read.markers[followedBy(fact)] ?? null;

  const receivedBySource = new Set<string>();
  lookups.sourceReceivedIds.forEach((id, i) => {
    if (values[i] != null) receivedBySource.add(id);
  });
  const facts: { -readonly [K in keyof RouteFacts]: RouteFacts[K] } = { receivedBySource };
  if (hasOriginal) {
    // The ledger's first-copy record (or the plain hub id a labsample marker holds).
    const hubId = parseFirstCopy(values[supersededAt], supersededDerived)?.hubId;
    // A redelivered correction finds itself as the sample's latest result: its copies are already published.
    if (hubId !== undefined && hubId !== message.hubId) {
      facts.original = { hubId, routedTo: parseRouted(markerOf(supersededAt)) };
    }
  }
  if (supersededId !== undefined && nonEmpty(values[supersededAt]) === undefined) {
    // The sender never sent a message with this id, yet it or an endpoint it could reach holds one: someone else's.
    const sourceHolds = values[lookups.sourceReceivedIds.indexOf(supersededId)] != null;
    const addresseeHolds = values.slice(holdersAt, acknowledgedAt).some((v) => nonEmpty(v) !== undefined);
    if (sourceHolds || addresseeHolds) facts.supersededSentByAnother = true;
  }
  if (lookups.acknowledged !== undefined) {
    const acknowledged = parseFirstCopy(values[acknowledgedAt], acknowledgedDerived)?.hubId;
    if (acknowledged !== undefined) {
      facts.acknowledgedHubId = acknowledged;
      facts.acknowledgedRoutedTo = parseRouted(markerOf(acknowledgedAt));
    }
  }
  return facts;
}

/**
 * A value whose routed marker the script reads too: its indexes in KEYS (its key, or an older release's key and
 * its key: the first value found counts), the hub id its key derives, and the marker hash whose field holds it when
 * neither key does (a first copy this release recorded, 0124).
 */
interface Followed {
  at: number[];
  derivedHubId: string | undefined;
  firstCopy: string | undefined;
}

async function readFacts(
  redis: FactReader,
  keys: RouterKeys,
  wanted: string[],
  followed: Followed[],
  marks: ReceiverMarks | undefined,
): Promise<{ values: (string | null)[]; markers: (string | null)[]; copies: (string | null)[] }> {
  const args = [
    // The script names a marker hash from a hub id (COMPACT_HUB_ID_LUA) for every hub id other than the derived
    // one, whose marker hash is the first copy's the caller sends in its quadruple.
    keys.markersPrefix,
    keys.routed(""),
    keys.routedField,
    keys.firstCopyField,
    ...followed.flatMap((f) => [
      String((f.at[0] as number) + 1),
      String((f.at[1] ?? -1) + 1),
      f.derivedHubId ?? "",
      f.firstCopy ?? "",
    ]),
  ];
  const reply = (await redis.readFacts(wanted, args, marks)) as [unknown[], unknown[], unknown[]];
  const text = (v: unknown) => (typeof v === "string" ? v : null);
  return {
    values: wanted.map((_, i) => text(reply[0][i])),
    markers: followed.map((_, i) => text(reply[1]?.[i])),
    copies: followed.map((_, i) => text(reply[2]?.[i])),
  };
}

function nonEmpty(value: string | null | undefined): string | undefined {
  return value === null || value === undefined || value === "" ? undefined : value;
}

/** The `routed` marker: a JSON array of endpoint ids; absent (or unreadable) means not routed. */
function parseRouted(value: string | null): ReadonlySet<string> | undefined {
  if (value === null) return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? new Set(parsed.filter((v): v is string => typeof v === "string")) : undefined;
  } catch {
    return undefined;
  }
}
