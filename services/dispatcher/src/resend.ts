import type { Bus, StoredMessage } from "@carehub/bus";
import { isControlHeader, isJetStreamNotFound, isPayloadReferenceError } from "@carehub/bus";
import { parseDeliveryRecord } from "@carehub/ledger";
import { traceIdFromHeaders } from "@carehub/observability";
import type { Redis } from "ioredis";
import type { DispatchKeys } from "./dispatch-keys.ts";
import { OUTBOX_HEADER } from "./outbox-message.ts";
import { replayedEventOf } from "./redrive.ts";

export interface ResendRequest {
  /** The messages to send again; each must have been delivered to `endpoint`. */
  hubIds: readonly string[];
  /** The ONE receiver they go to again (never every receiver of the message). */
  endpoint: string;
  /** At most this many. */
  limit: number;
  now?: () => Date;
}

export interface ResendDeps {
  bus: Bus;
  redis: Redis;
  keys: DispatchKeys;
  /** How long the dispatcher keeps delivery markers (its `stateTtlSeconds`): the lifetime of a hash a re-send makes. */
  ttlSeconds: number;
}

export interface ResendReport {
  resent: number;
  /** Hub ids of the messages sent again, in the order asked. */
  hubIds: string[];
  /**
   * Hub ids not sent again: not delivered to the endpoint, their delivered copy no longer in OUTBOX, or a copy by
   * reference whose INGRESS copy could not be read (gone, not the bytes named, or unreadable just now: docs/decisions/0109).
   */
  skipped: string[];
}

/**
 * Numbers a re-send (KEYS: the marker hash, an older release's under the whole hub id; ARGV: the re-send counter's
 * field, the markers' lifetime in seconds): one more than either hash counted, so a message re-sent before the
 * upgrade (0119) is not numbered again from 1 — re-send 1's delivered field is then taken, and the new copy would be
 * dropped as delivered. A marker hash made here (the message was delivered before the upgrade, or its hash expired
 * after the re-send read it) lives as long as the older one still does, else the markers' lifetime: never without
 * an expiry (the delivery of the re-send, if it comes, sets the lifetime again).
 */
const NUMBER_RESEND = `
local n = redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
local left = -2
if KEYS[2] ~= KEYS[1] then
  local before = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0') or 0
  if n <= before then
    n = before + 1
    redis.call('HSET', KEYS[1], ARGV[1], n)
  end
  left = redis.call('PTTL', KEYS[2])
end
if redis.call('PTTL', KEYS[1]) == -1 then
  if left > 0 then redis.call('PEXPIRE', KEYS[1], left) else redis.call('EXPIRE', KEYS[1], ARGV[2]) end
end
return n`;

/** OUTBOX headers a re-send copy does not keep: it is ordered already, and it is a fresh copy. */
const NOT_COPIED = new Set(
  [OUTBOX_HEADER.after, OUTBOX_HEADER.redriveCount, OUTBOX_HEADER.resend].map((h) => h.toLowerCase()),
);

/**
 * An operator's re-send of delivered messages to one receiver (docs/decisions/0072): for each, the copy that was
 * delivered (its OUTBOX sequence, kept in the delivery record) goes on the receiver's OUTBOX subject again as a new
 * copy numbered n (`Carehub-Resend: n`, counted per message and receiver in the marker hash). The dispatcher
 * delivers it once under its own marker field `d:<receiver>:<n>`, so a redelivery of that copy is still dropped
 * while the first delivery's marker does not stop it. Each is linked by a `replayed` event
 * (`<hubId>:replayed:<receiver>:resend-<n>`). Other receivers of the message get nothing.
 */
export async function resendDelivered(deps: ResendDeps, request: ResendRequest): Promise<ResendReport> {
  const { bus, redis, keys } = deps;
  const now = request.now ?? (() => new Date());
  const subject = bus.topology.subjects.outbox(request.endpoint);
  const report: ResendReport = { resent: 0, hubIds: [], skipped: [] };
  for (const hubId of new Set(request.hubIds)) {
    if (report.resent >= request.limit) break;
    const original = await deliveredCopy(deps, hubId, request.endpoint);
    if (original === undefined) {
      report.skipped.push(hubId);
      continue;
    }
    const n = Number(
      await redis.eval(
        NUMBER_RESEND,
        2,
        keys.markers(hubId),
        keys.formerMarkers(hubId),
        keys.resendsField(request.endpoint),
        String(deps.ttlSeconds),
      ),
    );
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(original.headers)) {
      if (!isControlHeader(name) && !NOT_COPIED.has(name.toLowerCase())) headers[name] = value;
    }
    headers[OUTBOX_HEADER.resend] = String(n);
    // Stamped before the copy is queued, so that the timeline shows the re-send before the delivery it causes.
    const at = now();
    await bus.publish(subject, original.data, {
      msgId: `${hubId}:${request.endpoint}:resend-${n}`,
      expectStream: bus.topology.streams.outbox,
      headers,
    });
    const event = replayedEventOf(original.headers, {
      idSuffix: `${request.endpoint}:resend-${n}`,
      reason: `re-sent after delivery to ${request.endpoint} by an operator (re-send ${n})`,
      at,
    });
    if (event !== undefined) {
      const traceId = traceIdFromHeaders(original.headers);
      await bus.publishEvent(traceId === undefined ? event : { ...event, traceId });
    }
    report.resent += 1;
    report.hubIds.push(hubId);
  }
  return report;
}

/** The OUTBOX copy that reached `endpoint` (its ordinary delivery), when the record names it and OUTBOX keeps it. */
async function deliveredCopy(
  deps: Pick<ResendDeps, "bus" | "redis" | "keys">,
  hubId: string,
  endpoint: string,
): Promise<StoredMessage | undefined> {
  // Delivered by this release or, until its marker hash expires, by an older one (0119).
  const field = deps.keys.deliveredField(endpoint);
  const raw =
    (await deps.redis.hget(deps.keys.markers(hubId), field)) ??
    (await deps.redis.hget(deps.keys.formerMarkers(hubId), field));
  if (raw === null) return undefined;
  const seq = parseDeliveryRecord(raw).copy;
  if (seq === undefined) return undefined;
  let stored: StoredMessage | null;
  try {
    stored = await deps.bus.getMessage(deps.bus.topology.streams.outbox, seq);
  } catch (error) {
    // A bad or unreadable reference is this message's trouble: skipped and reported, the rest of the batch goes on.
    if (isJetStreamNotFound(error, "message") || isPayloadReferenceError(error)) return undefined;
    throw error;
  }
  // The sequence must still hold this message's copy for this receiver (never another message's bytes).
  if (stored === null || stored.headers[OUTBOX_HEADER.hubId] !== hubId) return undefined;
  if ((stored.headers[OUTBOX_HEADER.receiver] ?? endpoint) !== endpoint) return undefined;
  if (stored.subject !== deps.bus.topology.subjects.outbox(endpoint)) return undefined;
  return stored;
}
