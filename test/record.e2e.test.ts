import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseMessage } from "@carehub/formats";
import { parseRecording, type ReplayReport } from "@carehub/hub";
import { type CliRun, runCliCollected, sharedHubEnv } from "@carehub/hub/testing";
import type { MessageLifecycle, RecordedMessage, RecordingHeader } from "@carehub/schemas";
import { medcomExamplesDir } from "@carehub/testkit/medcom-fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "./src/harness.ts";

/**
 * `carehub record` against a running hub: what the endpoints sent comes back byte for byte, with the sender the
 * INGRESS subject names, the headers as stored, and the hub's final status per receiver; the selection options
 * (sender, kind, time, limit) cut it on the way.
 */

const EXAMPLES = medcomExamplesDir();
const HOMECARE = readFileSync(`${EXAMPLES}/fhir/homecareobservation/ig-401cbc36-db1e-4fe0-bf90-6df331dde179.json`);
const LAB_REPORT = readFileSync(`${EXAMPLES}/oioxml/XRPT01_2.xml`);
// Readable as FHIR JSON but no message: intake rejects it, and with no message id INGRESS's position names it.
const NOT_A_MESSAGE = Buffer.from('{"resourceType":"Bundle","type":"message","entry":[]}');

let h: Harness;
let dir: string;
const sent: Array<{ hubId: string; bytes: Buffer; sender: string }> = [];

async function send(sender: string, bytes: Buffer, contentType: string): Promise<string> {
  const response = await h.send(sender, bytes, contentType);
  expect(response.status).toBe(202);
  const { id } = (await response.json()) as { id: string };
  sent.push({ hubId: id, bytes, sender });
  return id;
}

async function finalRecord(hubId: string, final: (r: MessageLifecycle) => boolean): Promise<MessageLifecycle> {
  const headers = { authorization: `Bearer ${h.token("operator")}` };
  return h.waitFor(async () => {
    const response = await fetch(`${h.url}/v1/messages/${hubId}`, { headers });
    if (response.status !== 200) return undefined;
    const record = (await response.json()) as MessageLifecycle;
    return final(record) ? record : undefined;
  }, `message ${hubId} in its final status`);
}

/** Runs `carehub <args>` in this process against the hub of `namespace`; stdout and stderr as text. */
async function cli(namespace: string, args: string[]): Promise<CliRun> {
  return runCliCollected(args, sharedHubEnv(namespace));
}

interface Recorded {
  code: number;
  file: string;
  header?: RecordingHeader;
  messages: RecordedMessage[];
  err: string;
}

async function record(...args: string[]): Promise<Recorded> {
  const file = join(dir, `recording-${Math.random().toString(36).slice(2)}.jsonl`);
  const { code, err } = await cli(h.namespace, ["record", "--out", file, ...args]);
  if (code !== 0) return { code, file, messages: [], err };
  const recording = parseRecording(await readFile(file, "utf8"));
  expect(recording.header).toMatchObject({ format: "carehub-recording", formatVersion: 1 });
  return { code, file, header: recording.header, messages: recording.messages, err };
}

/** `carehub replay --json <file>` into a fresh hub with the same endpoints; its report. */
async function replayIntoFreshHub(
  file: string,
  prepare: (hub: Harness) => void = () => {},
  ...args: string[]
): Promise<{ code: number; report: ReplayReport; err: string }> {
  const fresh = await startHarness();
  try {
    prepare(fresh);
    const { code, out, err } = await cli(fresh.namespace, ["replay", file, "--json", ...args]);
    return { code, report: JSON.parse(out) as ReplayReport, err };
  } finally {
    await fresh.close();
  }
}

let delivered: MessageLifecycle;
let rejected: MessageLifecycle;
let lab: MessageLifecycle;

beforeAll(async () => {
  h = await startHarness();
  dir = await mkdtemp(join(tmpdir(), "carehub-record-"));
  const homecareId = await send("acute-team", HOMECARE, "application/fhir+json");
  const rejectedId = await send("acute-team", NOT_A_MESSAGE, "application/fhir+json");
  delivered = await finalRecord(homecareId, (r) => r.perReceiver.some((p) => p.status === "delivered"));
  rejected = await finalRecord(rejectedId, (r) => r.status === "rejected");
  const labId = await send("lab", LAB_REPORT, "application/xml");
  lab = await finalRecord(labId, (r) => r.perReceiver.some((p) => p.status === "delivered"));
});

afterAll(async () => {
  await h?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe("carehub replay", () => {
  it("replays a recording into a fresh hub as fast as it goes, to the same final statuses", async () => {
    const recorded = await record();
    const { code, report, err } = await replayIntoFreshHub(recorded.file);
    expect(code, err).toBe(0);
    expect(report.differences).toEqual([]);
    expect(report).toMatchObject({ sent: 3, statuses: { delivered: 2, rejected: 1 } });
  });

  it("replays an anonymised recording to the same outcomes", async () => {
    const anonymised = await record("--anonymise");
    const { code, report, err } = await replayIntoFreshHub(anonymised.file);
    expect(code, err).toBe(0);
    expect(report).toMatchObject({ sent: 3, statuses: { delivered: 2, rejected: 1 }, differences: [] });
  });

  it("reports every message whose outcome differs, and exits 1", async () => {
    const recorded = await record();
    const { code, report } = await replayIntoFreshHub(
      recorded.file,
      (hub) => hub.receiver("practice").setDown(true),
      "--timeout",
      "3",
    );
    expect(code).toBe(1);
    expect(report.differences.map((d) => [d.seq, d.expected.receivers])).toEqual([
      [recorded.messages[0]?.seq, { practice: "delivered" }],
    ]);
    expect(report.differences[0]?.actual?.receivers.practice).not.toBe("delivered");
  });

  it("refuses a file that is not a recording, naming the line", async () => {
    const file = join(dir, "not-a-recording.jsonl");
    await writeFile(file, '{"format":"har"}\n');
    const { code, err } = await cli(h.namespace, ["replay", file]);
    expect(code).toBe(2);
    expect(err).toContain("CAREHUB_ERR_RECORDING_FORMAT: recording line 1: not a carehub-recording file");
  });
});

describe("carehub record", () => {
  it("records every message byte for byte, with its sender, headers and the hub's final outcome", async () => {
    const { code, messages, err } = await record();
    expect(code, err).toBe(0);
    expect(err).toContain("recorded 3 of 3 message(s)");
    expect(messages.map((m) => m.originalHubId)).toEqual(sent.map((s) => s.hubId));
    for (const [index, message] of messages.entries()) {
      expect(Buffer.from(message.bytes, "base64").equals(sent[index]?.bytes ?? Buffer.alloc(0))).toBe(true);
      expect(message.sender).toBe(sent[index]?.sender);
      expect(message.headers["Carehub-Source-Endpoint"]).toBe(message.sender);
      expect(Date.parse(message.receivedAt)).toBeLessThanOrEqual(Date.parse(message.storedAt));
    }
    const [homecare, notAMessage, labReport] = messages;
    expect(homecare).toMatchObject({ kind: "homecare-observation", messageId: delivered.messageId });
    expect(homecare?.outcome).toEqual({
      status: delivered.status,
      receivers: Object.fromEntries(delivered.perReceiver.map((r) => [r.endpoint, r.status])),
    });
    expect(Object.values(homecare?.outcome?.receivers ?? {})).toContain("delivered");
    expect(notAMessage?.outcome).toEqual({ status: "rejected", receivers: {} });
    expect(rejected.status).toBe("rejected");
    expect(labReport).toMatchObject({ kind: "lab-result", outcome: { status: lab.status } });
  });

  it("selects by sender, kind, time and count", async () => {
    const byLab = await record("--endpoint", "lab");
    expect(byLab.messages.map((m) => m.sender)).toEqual(["lab"]);
    const byKind = await record("--kind", "homecare-observation");
    expect(byKind.messages.map((m) => m.originalHubId)).toEqual([delivered.hubId]);
    const all = await record();
    const last = all.messages.at(-1);
    const since = await record("--from", last?.storedAt ?? "");
    expect(since.messages.map((m) => m.originalHubId)).toEqual([lab.hubId]);
    const until = await record("--to", all.messages[1]?.storedAt ?? "");
    expect(until.messages.map((m) => m.originalHubId)).toEqual([delivered.hubId, rejected.hubId]);
    const first = await record("--limit", "1");
    expect(first.messages.map((m) => m.originalHubId)).toEqual([delivered.hubId]);
  });

  it("anonymises: no CPR number or name of the originals left, every message as valid as before, outcomes kept", async () => {
    const raw = await record();
    const anonymised = await record("--anonymise");
    expect(anonymised.code, anonymised.err).toBe(0);
    expect(anonymised.header?.anonymised).toBe(true);
    expect(anonymised.messages.map((m) => m.outcome)).toEqual(raw.messages.map((m) => m.outcome));
    const text = anonymised.messages.map((m) => Buffer.from(m.bytes, "base64").toString("latin1")).join("\n");
    const personal: string[] = [];
    for (const original of raw.messages) {
      const bytes = Buffer.from(original.bytes, "base64");
      const contentType = original.headers["Content-Type"];
      const parsed = parseMessage(bytes, contentType === undefined ? {} : { contentType });
      if (parsed.ok && parsed.message.patient !== undefined) personal.push(parsed.message.patient.value);
      const latin1 = bytes.toString("latin1");
      for (const m of latin1.matchAll(/"(?:family|given)": \[?"([^"]+)"/g)) personal.push(m[1] ?? "");
      // The patient's, not the sending practice's (an organisation's address is no personal data).
      for (const block of latin1.matchAll(/<Patient>([\s\S]*?)<\/Patient>/g)) {
        for (const m of (block[1] ?? "").matchAll(/<(?:PersonSurnameName|PersonGivenName|StreetName)>([^<]+)</g)) {
          personal.push(m[1] ?? "");
        }
      }
    }
    expect(personal.length).toBeGreaterThanOrEqual(4);
    expect(personal.filter((value) => text.includes(value))).toEqual([]);
    for (const [index, message] of anonymised.messages.entries()) {
      const original = raw.messages[index] as RecordedMessage;
      const contentType = original.headers["Content-Type"];
      const options = contentType === undefined ? {} : { contentType };
      const before = parseMessage(Buffer.from(original.bytes, "base64"), options);
      const after = parseMessage(Buffer.from(message.bytes, "base64"), options);
      expect(after.ok).toBe(before.ok);
      if (before.ok && after.ok) {
        expect(after.message.messageId).toBe(before.message.messageId);
        expect(after.message.patient?.value).not.toBe(before.message.patient?.value);
      }
      expect({ ...message, bytes: "" }).toEqual({ ...original, bytes: "" });
    }
  });

  it("refuses a selection it cannot honour before it connects", async () => {
    const badKind = await record("--kind", "no-such-kind");
    expect(badKind.code).toBe(2);
    expect(badKind.err).toContain("--kind must be one of");
    expect(badKind.err).not.toContain("no-such-kind");
    expect((await record("--from", "yesterday")).code).toBe(2);
  });
});
