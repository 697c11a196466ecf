import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { type Bus, headersToRecord } from "@carehub/bus";
import { Anonymiser, readMessageIdentity, SyntheticIdentities } from "@carehub/formats";
import type { MessageLedger } from "@carehub/ledger";
import {
  type MessageKind,
  type MessageLifecycle,
  RECORDING_FORMAT,
  RECORDING_FORMAT_VERSION,
  type RecordedMessage,
  type RecordedOutcome,
  type RecordingHeader,
} from "@carehub/schemas";
import { DeliverPolicy } from "@nats-io/jetstream";
import { recordingLine } from "./recording-file.ts";

/** What `carehub record` captures from INGRESS (every field optional: everything kept). */
export interface RecordSelection {
  /** Stored at or after this time. */
  from?: Date;
  /** Stored at or before this time. */
  to?: Date;
  /** Sent by this endpoint (filtered on the server: its INGRESS subject). */
  endpoint?: string;
  /** Of this kind (read from each message's header). */
  kind?: MessageKind;
  /** At most this many messages. */
  limit?: number;
}

export interface CaptureDeps {
  bus: Bus;
  /** The hub id the hub derives for a message (packages/ledger owns the derivation). */
  ledger: Pick<MessageLedger, "hubIdOf">;
  /** The original hub's record of a message, for its outcome (the read model: packages/store). */
  lookup: (hubId: string) => Promise<MessageLifecycle | undefined>;
}

export interface CaptureProgress {
  /** INGRESS messages read so far. */
  scanned: number;
  /** Messages selected so far. */
  recorded: number;
  /** INGRESS messages in range when the capture began (the upper bound of `scanned`). */
  total: number;
}

const RECEIVED_AT = "Carehub-Received-At";
/** Outcome lookups in flight at once while capturing (messages held read but not yet written). */
const LOOKUPS_AHEAD = 32;
const SOURCE = "Carehub-Source-Endpoint";

/**
 * Reads INGRESS oldest first with an ordered consumer (filtered on the server by sender, started at `from`),
 * keeps what the selection asks for and hands each message on with its original outcome. Stops at the last
 * message stored when the capture began, at `to`, or at `limit`, so it always ends.
 */
export async function captureRecording(
  deps: CaptureDeps,
  selection: RecordSelection,
  onMessage: (message: RecordedMessage) => void | Promise<void>,
  onProgress: (progress: CaptureProgress) => void = () => {},
): Promise<CaptureProgress> {
  const { bus } = deps;
  const stream = bus.topology.streams.ingress;
  const prefix = `${bus.topology.namespace}.ingress.`;
  const limit = selection.limit ?? Number.POSITIVE_INFINITY;
  const consumer = await bus.js.consumers.get(stream, {
    filter_subjects:
      selection.endpoint === undefined
        ? bus.topology.subjects.all.ingress
        : bus.topology.subjects.ingress(selection.endpoint),
    ...(selection.from === undefined
      ? { deliver_policy: DeliverPolicy.All }
      : { deliver_policy: DeliverPolicy.StartTime, opt_start_time: selection.from.toISOString() }),
  });
  const progress: CaptureProgress = { scanned: 0, recorded: 0, total: (await consumer.info()).num_pending };
  if (progress.total === 0 || limit <= 0) return progress;
  const messages = await consumer.consume({ max_messages: 500 });
  // Each message's outcome is looked up as it is read, up to LOOKUPS_AHEAD ahead of the one being written: one
  // lookup at a time made the capture a round trip per message (hours at a million). Written in INGRESS order.
  const ahead: Array<{ message: Omit<RecordedMessage, "outcome">; outcome: Promise<RecordedOutcome | undefined> }> = [];
  const writeOldest = async () => {
    const next = ahead.shift();
    if (next === undefined) return;
    const outcome = await next.outcome;
    await onMessage({ ...next.message, ...(outcome === undefined ? {} : { outcome }) });
    progress.recorded++;
    onProgress(progress);
  };
  try {
    for await (const msg of messages) {
      progress.scanned++;
      const storedAt = new Date(msg.info.timestampNanos / 1_000_000);
      if (selection.to !== undefined && storedAt > selection.to) break;
      const sender = msg.subject.slice(prefix.length);
      const headers = headersToRecord(msg.headers);
      const contentType = headers["Content-Type"];
      const identity = readMessageIdentity(msg.data, contentType === undefined ? {} : { contentType });
      if (selection.kind === undefined || identity.kind === selection.kind) {
        const originalHubId =
          deps.ledger.hubIdOf({ endpoint: sender, messageId: identity.messageId }, { stream, seq: msg.seq }) ?? "";
        const outcome = deps.lookup(originalHubId).then(outcomeOf);
        // Settled here too, so a failed lookup behind one still being written is never left unhandled.
        outcome.catch(() => {});
        ahead.push({
          message: {
            seq: msg.seq,
            sender,
            receivedAt: receivedAt(headers, sender) ?? storedAt.toISOString(),
            storedAt: storedAt.toISOString(),
            headers,
            bytes: Buffer.from(msg.data).toString("base64"),
            ...(identity.kind === undefined ? {} : { kind: identity.kind }),
            ...(identity.messageId === undefined ? {} : { messageId: identity.messageId }),
            originalHubId,
          },
          outcome,
        });
        if (ahead.length >= LOOKUPS_AHEAD) await writeOldest();
      } else {
        onProgress(progress);
      }
      if (progress.recorded + ahead.length >= limit || msg.info.pending === 0) break;
    }
    while (ahead.length > 0) await writeOldest();
  } finally {
    // Stopped early (a failed lookup or write, `to`): the lookups still in flight end before the consumer closes,
    // so none is left using the connection the caller closes next.
    await Promise.allSettled(ahead.map((a) => a.outcome));
    await messages.close();
  }
  return progress;
}

/** The gateway's receive time, trusted as intake trusts it: only when its source header agrees with the subject. */
function receivedAt(headers: Record<string, string>, sender: string): string | undefined {
  const value = headers[RECEIVED_AT];
  if (headers[SOURCE] !== sender || value === undefined || Number.isNaN(Date.parse(value))) return undefined;
  return new Date(value).toISOString();
}

/** The final statuses a replay is compared with: overall and per receiver. */
export function outcomeOf(record: MessageLifecycle | undefined): RecordedOutcome | undefined {
  if (record === undefined) return undefined;
  return {
    status: record.status,
    receivers: Object.fromEntries(record.perReceiver.map((r) => [r.endpoint, r.status])),
  };
}

export interface RecordCommandIo {
  /** Where the recording goes (a file the CLI opened, or stdout). */
  output: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Time source for the header and the progress throttle. */
  now?: () => Date;
}

export interface RecordOptions {
  /**
   * Replace personal data (packages/formats Anonymiser) with this key's mapping. The capture is read twice: once
   * to find every patient, name and address in the whole selection, then to write each message with all of them
   * replaced. Between the two the raw messages wait in a private temporary file, removed at the end.
   */
  anonymiseKey?: Uint8Array;
}

const PROGRESS_EVERY_MS = 1_000;

/**
 * `carehub record`: the header line, then each captured message as a line, written with back-pressure so a long
 * capture never holds the whole recording in memory. Progress goes to stderr at most once a second.
 */
export async function writeRecording(
  deps: CaptureDeps,
  selection: RecordSelection,
  io: RecordCommandIo,
  options: RecordOptions = {},
): Promise<CaptureProgress> {
  const now = io.now ?? (() => new Date());
  const header: RecordingHeader = {
    format: RECORDING_FORMAT,
    formatVersion: RECORDING_FORMAT_VERSION,
    recordedAt: now().toISOString(),
    selection: {
      ...(selection.from === undefined ? {} : { from: selection.from.toISOString() }),
      ...(selection.to === undefined ? {} : { to: selection.to.toISOString() }),
      ...(selection.endpoint === undefined ? {} : { endpoint: selection.endpoint }),
      ...(selection.kind === undefined ? {} : { kind: selection.kind }),
    },
    anonymised: options.anonymiseKey !== undefined,
  };
  let lastReport = now().getTime();
  const progress = (p: CaptureProgress) => {
    const at = now().getTime();
    if (at - lastReport < PROGRESS_EVERY_MS) return;
    lastReport = at;
    io.stderr.write(`carehub record: ${p.scanned}/${p.total} read, ${p.recorded} recorded\n`);
  };
  let result: CaptureProgress;
  if (options.anonymiseKey === undefined) {
    await write(io.output, recordingLine(header));
    result = await captureRecording(deps, selection, (message) => write(io.output, recordingLine(message)), progress);
  } else {
    result = await captureAnonymised(deps, selection, header, io.output, options.anonymiseKey, progress);
  }
  io.stderr.write(
    `carehub record: recorded ${result.recorded} of ${result.scanned} message(s) read from INGRESS` +
      `${header.anonymised ? ", anonymised" : ""}\n`,
  );
  return result;
}

async function captureAnonymised(
  deps: CaptureDeps,
  selection: RecordSelection,
  header: RecordingHeader,
  output: NodeJS.WritableStream,
  key: Uint8Array,
  progress: (p: CaptureProgress) => void,
): Promise<CaptureProgress> {
  const anonymiser = new Anonymiser(new SyntheticIdentities(key));
  const dir = await mkdtemp(join(tmpdir(), "carehub-record-"));
  try {
    const rawPath = join(dir, "raw.jsonl");
    const raw = createWriteStream(rawPath, { mode: 0o600 });
    const result = await captureRecording(
      deps,
      selection,
      (message) => {
        anonymiser.collect(Buffer.from(message.bytes, "base64"), contentTypeOf(message));
        return write(raw, recordingLine(message));
      },
      progress,
    );
    await new Promise<void>((resolve, reject) =>
      raw.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
    await write(output, recordingLine(header));
    const lines = createInterface({ input: createReadStream(rawPath), crlfDelay: Number.POSITIVE_INFINITY });
    for await (const line of lines) {
      if (line === "") continue;
      const message = JSON.parse(line) as RecordedMessage;
      const bytes = anonymiser.anonymise(Buffer.from(message.bytes, "base64"), contentTypeOf(message));
      await write(output, recordingLine({ ...message, bytes: Buffer.from(bytes).toString("base64") }));
    }
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function contentTypeOf(message: RecordedMessage): { contentType?: string } {
  const contentType = message.headers["Content-Type"];
  return contentType === undefined ? {} : { contentType };
}

function write(output: NodeJS.WritableStream, text: string): Promise<void> | undefined {
  if (output.write(text)) return undefined;
  return new Promise((resolve) => output.once("drain", () => resolve()));
}
