import { parseFirstCopy } from "@carehub/ledger";
import type { Envelope } from "@carehub/schemas";
import { correctedLabSample, type RouteFacts, supersededMessageId } from "./route-resolver.ts";
import type { RouterKeys } from "./router-keys.ts";
import { type RoutingRegistry, resolveAddressee } from "./routing-registry.ts";

/** Which facts the resolver will need for one message: computed purely from the message and the registry. */
export interface FactLookups {
  /** Ids whose `rcvd:<source>:<id>` marker would show the sender is passing on something it received. */
  sourceReceivedIds: string[];
  /** The id of the original a correction / retraction links to (looked up at `msgid:<source>:<id>`). */
  supersededId?: string;
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
  if (superseded !== undefined) lookups.supersededId = superseded;
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

export interface FactReader {
  mget(...keys: string[]): Promise<(string | null)[]>;
  get(key: string): Promise<string | null>;
}

/** Reads the planned facts: one MGET, plus one GET for a correction whose original is known. */
export async function loadRouteFacts(
  redis: FactReader,
  keys: RouterKeys,
  message: { hubId: string; sourceEndpoint: string },
  lookups: FactLookups,
): Promise<RouteFacts> {
  const { sourceEndpoint } = message;
  const wanted = lookups.sourceReceivedIds.map((id) => keys.received(sourceEndpoint, id));
  const supersededAt = wanted.length;
  if (lookups.supersededId !== undefined) wanted.push(keys.messageId(sourceEndpoint, lookups.supersededId));
  else if (lookups.correctedSample !== undefined) wanted.push(keys.labSample(sourceEndpoint, lookups.correctedSample));
  const acknowledgedAt = wanted.length;
  if (lookups.acknowledged !== undefined) {
    wanted.push(keys.messageId(lookups.acknowledged.endpoint, lookups.acknowledged.messageId));
  }
  const values = wanted.length === 0 ? [] : await redis.mget(...wanted);

  const receivedBySource = new Set<string>();
  lookups.sourceReceivedIds.forEach((id, i) => {
    if (values[i] != null) receivedBySource.add(id);
  });
  const facts: { -readonly [K in keyof RouteFacts]: RouteFacts[K] } = { receivedBySource };
  if (lookups.supersededId !== undefined || lookups.correctedSample !== undefined) {
    // The ledger's first-copy record (or the plain hub id a labsample marker holds).
    const hubId = parseFirstCopy(values[supersededAt])?.hubId;
    // A redelivered correction finds itself as the sample's latest result: its copies are already published.
    if (hubId !== undefined && hubId !== message.hubId) {
      facts.original = { hubId, routedTo: parseRouted(await redis.get(keys.routed(hubId))) };
    }
  }
  if (lookups.acknowledged !== undefined) {
    const acknowledgedHubId = parseFirstCopy(values[acknowledgedAt])?.hubId;
    if (acknowledgedHubId !== undefined) facts.acknowledgedHubId = acknowledgedHubId;
  }
  return facts;
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
