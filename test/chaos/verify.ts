/**
 * What the chaos suite checks after every scenario, against the receivers' own records and the read model:
 * nothing accepted lost, nothing applied twice, every message in one terminal state, the read model equal to
 * one rebuilt from the streams, and the wire repeats the receivers dropped beside the dispatcher's count of them.
 */
import { loadRegistryFile } from "@carehub/registry";
import { parseHubConfig } from "@carehub/schemas";
import { createReadModel, parseTrackerOptions, rebuildReadModel } from "@carehub/tracker";
import type { Outgoing } from "../src/pipeline-traffic.ts";
import { consumerState } from "../src/service-process.ts";
import type { ChaosHub } from "./chaos-hub.ts";

export interface Verdict {
  /** (endpoint, message) pairs of the scenario's messages accepted and never received. */
  lost: number;
  /** Message ids a receiver got that were never sent to it. */
  unexpected: number;
  /** The scenario's corrections that a receiver got before the message they correct. */
  correctionsFirst: number;
  /** Messages the read model counts beyond those accepted (a state change applied twice). */
  appliedTwice: number;
  /** Accepted messages whose read-model record is not in the terminal state `delivered`. */
  notTerminal: number;
  /** The read model's messages by status (senders' rows of /v1/stats): where the not-terminal ones are. */
  statuses: Record<string, number>;
  /** Keys that differ between the live read model and one rebuilt from the streams (0: equal). */
  rebuildDiffs: number;
  /** Keys in the live read model. */
  readModelKeys: number;
  /** How long after the scenario's load stopped everything had arrived and settled. */
  settledMs: number;
}

/** The read model's message counts by status, over the senders' rows of `/v1/stats`. */
async function senderCounts(hub: ChaosHub): Promise<Record<string, number>> {
  const response = await fetch(`${hub.gatewayUrl}/v1/stats`, { headers: { authorization: "Bearer token-operator" } });
  if (response.status !== 200) return {};
  const stats = (await response.json()) as { items: Array<{ role: string; status: string; count: number }> };
  const counts: Record<string, number> = {};
  for (const row of stats.items) if (row.role === "sender") counts[row.status] = (counts[row.status] ?? 0) + row.count;
  return counts;
}

/**
 * Waits (up to `timeoutMs`) until every message accepted in the run reached each of its receivers and the read
 * model counts them all delivered, then compares: losses and reordering over the scenario's own messages, the
 * read model (counts, rebuild) as a whole. A run that does not settle is measured as it stands: what is
 * missing counts as lost or not terminal.
 */
export async function verify(
  hub: ChaosHub,
  accepted: readonly Outgoing[],
  scenarioMessages: readonly Outgoing[],
  timeoutMs: number,
): Promise<Verdict> {
  const started = Date.now();
  const missing = (messages: readonly Outgoing[]) => {
    let lost = 0;
    for (const m of messages) for (const to of m.to) if (!hub.receivers.has(to, m.messageId)) lost++;
    return lost;
  };
  let counts: Record<string, number> = {};
  let tracker = { pending: 0, ackPending: 0, consumers: 0 };
  const deadline = started + timeoutMs;
  for (;;) {
    counts = await senderCounts(hub).catch(() => ({}));
    // Every message delivered is not yet a complete read model: the tracker folds EVENTS and PIPELINE with two
    // consumers, and envelopes a killed tracker held come back only after the ack wait, possibly after the last
    // delivery was counted. The model is compared with its rebuild once the tracker holds and awaits nothing.
    tracker = await consumerState(hub.bus, "tracker").catch(() => ({ pending: -1, ackPending: -1, consumers: 0 }));
    const folded = tracker.pending === 0 && tracker.ackPending === 0;
    if ((missing(accepted) === 0 && counts.delivered === accepted.length && folded) || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const settledMs = Date.now() - started;

  const wanted = new Map<string, Set<string>>();
  for (const m of accepted)
    for (const to of m.to) (wanted.get(to) ?? wanted.set(to, new Set()).get(to))?.add(m.messageId);
  let unexpected = 0;
  for (const [to, ids] of hub.receivers.unique) for (const id of ids.keys()) if (!wanted.get(to)?.has(id)) unexpected++;

  let correctionsFirst = 0;
  for (const m of scenarioMessages) {
    if (m.corrects === undefined) continue;
    for (const to of m.to) {
      const order = hub.receivers.arrival.get(to);
      const original = order?.get(m.corrects);
      const correction = order?.get(m.messageId);
      if (original !== undefined && correction !== undefined && correction < original) correctionsFirst++;
    }
  }

  const counted = Object.values(counts).reduce((sum, n) => sum + n, 0);
  const { diffs, keys } = await compareWithRebuild(hub);
  if (diffs > 0) {
    console.log(
      `the tracker's consumers when compared: ${tracker.pending} waiting, ${tracker.ackPending} held unacknowledged`,
    );
  }
  return {
    lost: missing(scenarioMessages),
    unexpected,
    correctionsFirst,
    appliedTwice: Math.max(0, counted - accepted.length),
    notTerminal: accepted.length - Math.min(counts.delivered ?? 0, accepted.length),
    statuses: counts,
    rebuildDiffs: diffs,
    readModelKeys: keys,
    settledMs,
  };
}

/**
 * Rebuilds the read model from the streams into a fresh namespace of the same Redis — what `carehub rebuild`
 * does (the same rebuildReadModel), without dropping the live one — and counts the keys that differ.
 */
async function compareWithRebuild(hub: ChaosHub): Promise<{ diffs: number; keys: number }> {
  const config = parseHubConfig(hub.env);
  const registry = await loadRegistryFile(hub.registryPath);
  // The store as the tracker and `carehub rebuild` build it (acknowledgement timers, stale limits).
  const storeFor = (namespace: string) =>
    createReadModel({
      redis: hub.redis,
      config: { ...config, namespace },
      registry,
      staleLimits: parseTrackerOptions(hub.env).staleLimits,
    });
  const live = storeFor(hub.namespace);
  const rebuiltNamespace = `${hub.namespace}-rebuilt`;
  const rebuilt = storeFor(rebuiltNamespace);
  await rebuildReadModel({ bus: hub.bus, store: rebuilt, registry });
  const strip = (dump: Record<string, unknown>, prefix: string) =>
    new Map(Object.entries(dump).map(([key, value]) => [key.slice(prefix.length), JSON.stringify(value)]));
  const liveDump = strip(await live.dumpReadModel(), hub.namespace);
  const rebuiltDump = strip(await rebuilt.dumpReadModel(), rebuiltNamespace);
  await rebuilt.dropReadModel();
  let diffs = 0;
  for (const [key, value] of liveDump) if (rebuiltDump.get(key) !== value) diffs++;
  for (const key of rebuiltDump.keys()) if (!liveDump.has(key)) diffs++;
  if (diffs > 0) {
    const sample = [...liveDump.keys()].filter((key) => rebuiltDump.get(key) !== liveDump.get(key)).slice(0, 3);
    console.log(`read model differs from its rebuild in ${diffs} key(s), e.g. ${sample.join(", ")}`);
    if (process.env.CHAOS_DEBUG_DIFF === "1") {
      // Member by member (field, index position, record value, expiry): what differs in a key, not its opening.
      for (const key of new Set([...liveDump.keys(), ...rebuiltDump.keys()])) {
        if (rebuiltDump.get(key) === liveDump.get(key)) continue;
        const live = entriesOf(liveDump.get(key));
        const rebuiltEntries = entriesOf(rebuiltDump.get(key));
        const lines = [...new Set([...live.keys(), ...rebuiltEntries.keys()])]
          .filter((entry) => live.get(entry) !== rebuiltEntries.get(entry))
          .map(
            (entry) =>
              `  ${entry}: live ${live.get(entry) ?? "(none)"}, rebuilt ${rebuiltEntries.get(entry) ?? "(none)"}`,
          );
        console.log(`${key}\n${lines.join("\n")}`);
      }
    }
  }
  return { diffs, keys: liveDump.size };
}

/** A dumped key's entries (hash fields, sorted-set members, or the value) and its expiry, for the debug listing. */
function entriesOf(dumped: string | undefined): Map<string, string> {
  const entries = new Map<string, string>();
  if (dumped === undefined) return entries;
  const { value, expiresAt } = JSON.parse(dumped) as { value: unknown; expiresAt: number };
  if (Array.isArray(value) && Array.isArray(value[0]))
    for (const [field, v] of value) entries.set(String(field), String(v));
  else if (Array.isArray(value))
    for (let i = 0; i < value.length; i += 2) entries.set(String(value[i]), String(value[i + 1]));
  else entries.set("(value)", String(value));
  entries.set("(expires)", String(expiresAt));
  return entries;
}
