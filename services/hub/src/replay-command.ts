import { randomUUID } from "node:crypto";
import type { Bus } from "@carehub/bus";
import type { MessageLedger } from "@carehub/ledger";
import type { MessageLifecycle, RecordedMessage, RecordedOutcome } from "@carehub/schemas";
import { outcomeOf } from "./record-command.ts";
import type { RecordingSource } from "./recording-file.ts";

export interface ReplayOptions {
  /** Recorded pace sped up by this factor (2: twice as fast); undefined: as fast as the hub takes them. */
  pace?: number;
  /** How long to wait for the hub to reach the recorded outcomes before reporting what differs. */
  timeoutMs?: number;
  /** Stop waiting when no outcome changed for this long (the hub is quiet). */
  quietMs?: number;
  /** Publishes in flight at once when not paced (one connection: the order stays the recording's). */
  window?: number;
  /** false: store the messages and return, without waiting for or comparing outcomes (the testkit waits itself). */
  compare?: boolean;
  /** Called as each message is stored on INGRESS, with the hub id the target derived. */
  onStored?: (message: RecordedMessage, hubId: string) => void;
}

export interface ReplayDeps {
  bus: Bus;
  /** The target hub's ledger: the hub id it derives for each message (packages/ledger owns the derivation). */
  ledger: Pick<MessageLedger, "hubIdOf">;
  /** The target hub's record of a message (its read model). */
  lookup: (hubId: string) => Promise<MessageLifecycle | undefined>;
  now?: () => number;
  /** Waits `ms` (for pacing and polling); injected so a test can run it on a fake clock. */
  wait?: (ms: number) => Promise<void>;
}

/** One message whose outcome in the replay is not the one recorded. */
export interface ReplayDifference {
  seq: number;
  sender: string;
  messageId?: string;
  originalHubId: string;
  hubId: string;
  expected: RecordedOutcome;
  actual?: RecordedOutcome;
}

export interface ReplayReport {
  sent: number;
  /** Publishing time (first publish to last stored), ms. */
  publishMs: number;
  /** Until every outcome was reached or the hub went quiet, ms. */
  settleMs: number;
  /** Messages per final (overall) status in the replay; `unknown` when the hub has no record. */
  statuses: Record<string, number>;
  differences: ReplayDifference[];
}

const RECEIVED_AT = "Carehub-Received-At";
const SOURCE = "Carehub-Source-Endpoint";

/** What the replay keeps of each message once it is stored: enough to compare outcomes, never its bytes. */
type Expectation = Omit<ReplayDifference, "expected" | "actual"> & { expected?: RecordedOutcome };

/**
 * `carehub replay`: stores each recorded message on the target hub's INGRESS under its recorded sender, in the
 * recording's order (one connection, so per-sender order is the recording's however many are in flight), then
 * waits until the hub's read model shows every recorded outcome or goes quiet, and reports the counts per status
 * and every difference. Like the gateway, it stamps the receive time (now) and the source endpoint, and dedups by
 * the hub id the target derives, so a repeat in the recording is a repeat in the replay.
 *
 * The messages are taken from the source one at a time as the window has room (a file is read as it is replayed,
 * see openRecordingFile): at most `window` messages' bytes are held; what is kept of each after it is stored is its
 * hub id and recorded outcome (Expectation), and nothing when `compare` is false.
 */
export async function replayRecording(
  deps: ReplayDeps,
  recording: RecordingSource,
  options: ReplayOptions = {},
): Promise<ReplayReport> {
  const now = deps.now ?? Date.now;
  const wait = deps.wait ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const { bus } = deps;
  const started = now();
  let first: number | undefined;
  const window = options.window ?? 256;
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const expectations: Expectation[] = [];
  const keep = options.compare !== false;
  let sent = 0;
  for await (const message of recording.messages) {
    if (options.pace !== undefined) {
      first ??= Date.parse(message.receivedAt);
      const due = started + (Date.parse(message.receivedAt) - first) / options.pace;
      if (due > now()) await wait(due - now());
    }
    if (failure !== undefined) break;
    const expectation: Expectation = {
      seq: message.seq,
      sender: message.sender,
      ...(message.messageId === undefined ? {} : { messageId: message.messageId }),
      originalHubId: message.originalHubId,
      hubId: "",
      ...(message.outcome === undefined ? {} : { expected: message.outcome }),
    };
    // Without a comparison nothing is kept once a message is stored: a million-message replay holds its window only.
    if (keep) expectations.push(expectation);
    sent++;
    const publish: Promise<void> = publishOne(bus, deps.ledger, message).then(
      (hubId) => {
        expectation.hubId = hubId;
        inFlight.delete(publish);
        options.onStored?.(message, hubId);
      },
      (error: unknown) => {
        failure ??= { error };
        inFlight.delete(publish);
      },
    );
    inFlight.add(publish);
    if (inFlight.size >= window) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure.error;
  const published = now();
  if (!keep) {
    return { sent, publishMs: published - started, settleMs: 0, statuses: {}, differences: [] };
  }
  const outcomes = await settle(deps, expectations, options, now, wait);
  const statuses: Record<string, number> = {};
  const differences: ReplayDifference[] = [];
  for (const [index, e] of expectations.entries()) {
    const actual = outcomes[index];
    statuses[actual?.status ?? "unknown"] = (statuses[actual?.status ?? "unknown"] ?? 0) + 1;
    if (e.expected !== undefined && !sameOutcome(e.expected, actual)) {
      differences.push({
        seq: e.seq,
        sender: e.sender,
        ...(e.messageId === undefined ? {} : { messageId: e.messageId }),
        originalHubId: e.originalHubId,
        hubId: e.hubId,
        expected: e.expected,
        ...(actual === undefined ? {} : { actual }),
      });
    }
  }
  return {
    sent,
    publishMs: published - started,
    settleMs: now() - published,
    statuses,
    differences,
  };
}

async function publishOne(bus: Bus, ledger: Pick<MessageLedger, "hubIdOf">, message: RecordedMessage): Promise<string> {
  const arriving = { endpoint: message.sender, messageId: message.messageId };
  const hubId = ledger.hubIdOf(arriving);
  const contentType = message.headers["Content-Type"];
  const stored = await bus.publish(
    bus.topology.subjects.ingress(message.sender),
    Buffer.from(message.bytes, "base64"),
    {
      // Unreadable bytes have no id to dedup on: each is its own message, as at the gateway.
      msgId: hubId ?? randomUUID(),
      ...(contentType === undefined ? {} : { contentType }),
      expectStream: bus.topology.streams.ingress,
      headers: {
        ...(hubId === undefined ? {} : { "Carehub-Hub-Id": hubId }),
        [SOURCE]: message.sender,
        [RECEIVED_AT]: new Date().toISOString(),
      },
    },
  );
  return hubId ?? ledger.hubIdOf(arriving, { stream: stored.stream, seq: stored.seq }) ?? "";
}

/**
 * Polls the read model until every message with a recorded outcome shows it, or nothing changed for `quietMs`,
 * or `timeoutMs` passed. Returns each message's last outcome.
 */
async function settle(
  deps: ReplayDeps,
  expectations: Expectation[],
  options: ReplayOptions,
  now: () => number,
  wait: (ms: number) => Promise<void>,
): Promise<Array<RecordedOutcome | undefined>> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const quietMs = options.quietMs ?? 5_000;
  const deadline = now() + timeoutMs;
  const outcomes: Array<RecordedOutcome | undefined> = new Array(expectations.length);
  let open = expectations.map((_, index) => index);
  let lastChange = now();
  for (;;) {
    let changed = false;
    const stillOpen: number[] = [];
    for (let start = 0; start < open.length; start += 500) {
      const batch = open.slice(start, start + 500);
      const records = await Promise.all(batch.map((index) => deps.lookup(expectations[index]?.hubId ?? "")));
      for (const [position, index] of batch.entries()) {
        const outcome = outcomeOf(records[position]);
        if (JSON.stringify(outcome) !== JSON.stringify(outcomes[index])) changed = true;
        outcomes[index] = outcome;
        const expected = expectations[index]?.expected;
        // A message with no recorded outcome is done once the hub has any record of it.
        const done = expected === undefined ? outcome !== undefined : sameOutcome(expected, outcome);
        if (!done) stillOpen.push(index);
      }
    }
    open = stillOpen;
    if (changed) lastChange = now();
    if (open.length === 0 || now() >= deadline || now() - lastChange >= quietMs) return outcomes;
    await wait(Math.min(250, Math.max(0, deadline - now())));
  }
}

/** Whether a message reached the recorded outcome: the same overall status and the same status per receiver. */
export function sameOutcome(expected: RecordedOutcome, actual: RecordedOutcome | undefined): boolean {
  if (actual === undefined || actual.status !== expected.status) return false;
  const receivers = Object.keys(expected.receivers);
  if (receivers.length !== Object.keys(actual.receivers).length) return false;
  return receivers.every((endpoint) => actual.receivers[endpoint] === expected.receivers[endpoint]);
}

/** The human summary of a replay: counts per status, then one line per difference. */
export function replayLine(report: ReplayReport): string {
  const counts = Object.entries(report.statuses)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, count]) => `${status} ${count}`)
    .join(", ");
  const rate = report.publishMs === 0 ? report.sent : Math.round((report.sent / report.publishMs) * 1000);
  const lines = [
    `replayed ${report.sent} message(s) in ${report.publishMs} ms (${rate}/s), settled in ${report.settleMs} ms: ${counts}`,
    `${report.differences.length} difference(s) from the recorded outcomes`,
    ...report.differences.map(
      (d) =>
        `  seq ${d.seq} from ${d.sender}: expected ${describe(d.expected)}, got ${d.actual === undefined ? "no record" : describe(d.actual)}`,
    ),
  ];
  return lines.join("\n");
}

function describe(outcome: RecordedOutcome): string {
  const receivers = Object.entries(outcome.receivers).map(([endpoint, status]) => `${endpoint} ${status}`);
  return `${outcome.status}${receivers.length === 0 ? "" : ` (${receivers.join(", ")})`}`;
}
