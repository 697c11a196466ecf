import { DeliverPolicy, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { Objm } from "@nats-io/obj";
import { CLAIM_CHECK_STREAM_ROLES, REUSE_WINDOW_MS } from "./claim-check.ts";
import { HEADER } from "./headers.ts";
import type { Topology } from "./topology.ts";

/**
 * An object younger than this is never deleted: twice the reuse window, so one that a publish is about to point
 * at (stored, or found and reused, just before the message is written) is not taken away in between
 * (docs/decisions/0061).
 */
export const CLAIM_CHECK_SWEEP_MIN_AGE_MS = 2 * REUSE_WINDOW_MS;

export interface ClaimCheckSweepReport {
  /** Objects in the bucket when the sweep began. */
  objects: number;
  /** Of those, objects some message in INGRESS, PIPELINE, OUTBOX or DLQ still names. */
  referenced: number;
  /** Objects deleted: no stream message names them any more, and they are older than the minimum age. */
  deleted: number;
  /** Stream messages looked at (headers only). */
  scanned: number;
}

/**
 * Deletes claim-checked payloads whose message has left every stream (docs/decisions/0061): mark and sweep. Marks
 * every object that a message of the claim-check streams (INGRESS, PIPELINE, OUTBOX, DLQ) names in
 * `Carehub-Claim-Check`, reading headers only; then deletes the unmarked ones older than `minAgeMs`. A message
 * leaves by age, by size, by a purge, or when a redrive takes it out of the DLQ: the streams themselves are the
 * reference count, so no other state can disagree with them. A message moved during the sweep (dead-lettered,
 * re-driven: the new copy is written before the old one goes) is seen in one of its places, because every stream
 * is read a second time from where the first pass ended. Costs one headers-only pass over those streams; does
 * nothing (reads no stream) when no object is old enough to go.
 */
export async function sweepClaimChecks(
  deps: { js: JetStreamClient; jsm: JetStreamManager; topology: Topology },
  options: { minAgeMs?: number; now?: () => number } = {},
): Promise<ClaimCheckSweepReport> {
  const minAgeMs = options.minAgeMs ?? CLAIM_CHECK_SWEEP_MIN_AGE_MS;
  const now = options.now ?? Date.now;
  const report: ClaimCheckSweepReport = { objects: 0, referenced: 0, deleted: 0, scanned: 0 };
  const bucketStream = `OBJ_${deps.topology.payloadBucket}`;
  const exists = await deps.jsm.streams.info(bucketStream).then(
    () => true,
    () => false,
  );
  if (!exists) return report;
  const store = await new Objm(deps.js).open(deps.topology.payloadBucket);
  const objects = (await store.list()).filter((info) => !info.deleted);
  report.objects = objects.length;
  const old = (mtime: string) => now() - Date.parse(mtime) >= minAgeMs;
  if (!objects.some((info) => old(info.mtime))) {
    report.referenced = objects.length;
    return report;
  }

  const named = new Set<string>();
  const streams = CLAIM_CHECK_STREAM_ROLES.map((role) => deps.topology.streams[role]);
  const readTo = new Map<string, number>();
  for (const _pass of [1, 2]) {
    for (const stream of streams) {
      const from = (readTo.get(stream) ?? 0) + 1;
      const last = await lastSeq(deps.jsm, stream);
      if (last === undefined || last < from) continue;
      report.scanned += await readClaimChecks(deps.js, stream, from, last, named);
      readTo.set(stream, last);
    }
  }

  for (const info of objects) {
    if (named.has(info.name)) {
      report.referenced++;
      continue;
    }
    if (!old(info.mtime)) continue;
    // Looked at again just before: a publish that stored these bytes afresh meanwhile made the object young.
    const current = await store.info(info.name);
    if (current === null || current.deleted || !old(current.mtime)) continue;
    await store.delete(info.name);
    report.deleted++;
  }
  return report;
}

async function lastSeq(jsm: JetStreamManager, stream: string): Promise<number | undefined> {
  try {
    return (await jsm.streams.info(stream)).state.last_seq;
  } catch {
    return undefined;
  }
}

/** Adds the claim checks named by `stream`'s messages `from`..`to` to `named`; returns how many were read. */
async function readClaimChecks(
  js: JetStreamClient,
  stream: string,
  from: number,
  to: number,
  named: Set<string>,
): Promise<number> {
  const consumer = await js.consumers.get(stream, {
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: from,
    headers_only: true,
  });
  if ((await consumer.info()).num_pending === 0) return 0;
  const messages = await consumer.consume({ max_messages: 1_000 });
  let read = 0;
  try {
    for await (const msg of messages) {
      read++;
      const name = msg.headers?.get(HEADER.claimCheck);
      if (name !== undefined && name !== "") named.add(name);
      if (msg.seq >= to || msg.info.pending === 0) break;
    }
  } finally {
    await messages.close();
  }
  return read;
}
