import type { Bus } from "@carehub/bus";
import type { Logger } from "@carehub/observability";
import type { RegistrySource } from "@carehub/registry";
import { Envelope, LifecycleEvent } from "@carehub/schemas";
import type { ReadModelStore } from "@carehub/store";
import { DeliverPolicy, type JsMsg } from "@nats-io/jetstream";
import { foldEnvelope } from "./envelope-handler.ts";
import { foldEvent } from "./event-handler.ts";

const decoder = new TextDecoder();

export interface RebuildDeps {
  bus: Pick<Bus, "js" | "jsm" | "topology" | "readPayload">;
  store: ReadModelStore;
  registry: RegistrySource;
  logger?: Logger;
  /** Called after each stream message folded: which stream (`pipeline`, `events`), how many so far, of how many. */
  onProgress?: (progress: RebuildProgress) => void;
}

export interface RebuildProgress {
  phase: "pipeline" | "events";
  done: number;
  /** The messages the stream held when its replay began (it stops there). */
  total: number;
}

export interface RebuildReport {
  keysDropped: number;
  envelopes: number;
  events: number;
  /** Stream messages that did not decode (they were dead-lettered when live, too). */
  skipped: number;
  durationMs: number;
}

/**
 * Drops this namespace's read model and rebuilds it from the streams: every PIPELINE envelope first (the
 * business facts, in the order they were first processed), then every EVENTS event (the message timelines).
 * Folds are idempotent and order-free, so the result equals the live read model — except for what the
 * streams no longer hold (PIPELINE and EVENTS keep messages for their own max age; see
 * docs/decisions/0003-redis-read-model.md). Nothing is announced or sent during a rebuild. Stop the trackers
 * first: a live tracker writing while the keys are dropped would leave part of its writes out.
 */
export async function rebuildReadModel(deps: RebuildDeps): Promise<RebuildReport> {
  const started = performance.now();
  const { bus, store } = deps;
  const keysDropped = await store.dropReadModel();
  // Messages purged by size from PIPELINE or EVENTS left the live read model: what the streams still hold of
  // them (their events, or their envelope) must not bring their records back (docs/decisions/0074).
  await store.loadRetentionFloor();
  deps.logger?.info({ keysDropped }, "read model dropped; rebuilding from the streams");
  const registry = deps.registry.current();
  let skipped = 0;
  const envelopes = await replayStream(deps, "pipeline", async (msg) => {
    // PIPELINE is stored sealed when payload encryption is on: read through the bus.
    const parsed = Envelope.safeParse(JSON.parse(decoder.decode(await bus.readPayload(msg))));
    if (!parsed.success) {
      skipped++;
      return;
    }
    await foldEnvelope({ store, hubEndpointId: registry.hub.id, resolver: registry }, parsed.data);
  });
  const events = await replayStream(deps, "events", async (msg) => {
    const parsed = LifecycleEvent.safeParse(JSON.parse(decoder.decode(await bus.readPayload(msg))));
    if (!parsed.success) {
      skipped++;
      return;
    }
    await foldEvent(store, parsed.data);
  });
  const report = { keysDropped, envelopes, events, skipped, durationMs: Math.round(performance.now() - started) };
  deps.logger?.info(report, "read model rebuilt");
  return report;
}

/** Reads a stream from its first message up to the last one stored when the replay began (ordered consumer). */
async function replayStream(
  deps: RebuildDeps,
  phase: RebuildProgress["phase"],
  handle: (msg: JsMsg) => Promise<void>,
): Promise<number> {
  const stream = deps.bus.topology.streams[phase];
  const info = await deps.bus.jsm.streams.info(stream);
  const last = info.state.last_seq;
  const total = info.state.messages;
  if (total === 0) return 0;
  const consumer = await deps.bus.js.consumers.get(stream, { deliver_policy: DeliverPolicy.All });
  const messages = await consumer.consume({ max_messages: 500 });
  let count = 0;
  try {
    for await (const msg of messages) {
      await handle(msg);
      count++;
      deps.onProgress?.({ phase, done: count, total });
      if (msg.seq >= last) break;
    }
  } finally {
    await messages.close();
  }
  return count;
}
