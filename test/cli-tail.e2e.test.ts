import { type ChildProcess, spawn } from "node:child_process";
import { buildLabReport, encodeXmlText } from "@carehub/medcom-xml";
import type { Party } from "@carehub/schemas";
import { sharedNatsUrl, sharedRedisUrl, testNamespace } from "@carehub/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CAREHUB_CLI } from "./src/cli-process.ts";
import { type Harness, startHarness } from "./src/harness.ts";
import { cprShapesIn } from "./src/patient-identifiers.ts";

// `carehub messages tail` as an operator runs it: the real CLI in a child process following the EVENTS stream
// of a running hub (real NATS and Redis), while the test sends lab results through the gateway.
const LAB: Party = { gln: "5790000120284", name: "Svendborg" };
const KLAMER: Party = { gln: "5790000125012", name: "Finn Klamer" };
const PRACTICE: Party = { gln: "5790000127092", name: "Skødstrup Lægepraksis" };
const CPR = "1212778221";

let h: Harness;
let letters = 0;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
});

interface Tail {
  child: ChildProcess;
  /** Resolves once the CLI says from which sequence it follows (events stored after that are printed). */
  ready: Promise<void>;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

function tail(args: string[], namespace = h.namespace): Tail {
  const child = spawn(process.execPath, [CAREHUB_CLI, "messages", "tail", ...args], {
    env: { ...process.env, NATS_URL: sharedNatsUrl(), REDIS_URL: sharedRedisUrl(), CAREHUB_NAMESPACE: namespace },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    if (stderr.includes("following lifecycle events from sequence")) markReady();
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on("close", (code) => {
      markReady();
      resolve({ code, stdout, stderr });
    });
  });
  return { child, ready, done };
}

/** Sends a fresh lab result (a new letter id each time, with a CPR number in it) and returns its hub id. */
async function sendLabReport(from: string, sender: Party, receiver: Party): Promise<string> {
  letters += 1;
  const letterId = `T${Date.now() % 1_000_000}${letters}`.slice(0, 14);
  const xml = buildLabReport({
    ids: { envelopeId: `E${letterId}`.slice(0, 14), letterId },
    now: new Date(),
    statusCode: "nytbrev",
    sender,
    receiver,
    patient: { cpr: CPR },
    sample: { laboratorySampleId: `S${letterId}` },
    results: [{ analysisCode: "NPU01807", status: "svar_endeligt", value: "7.1", unit: "mmol/l" }],
  });
  const response = await h.send(from, encodeXmlText(xml), "application/xml");
  expect(response.status).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

async function delivered(hubId: string, endpoint: string): Promise<void> {
  await h.waitForEvents((e) => e.type === "delivered" && e.hubId === hubId && e.endpoint === endpoint, 30_000);
}

describe("carehub messages tail, against the running hub", () => {
  it("prints only the events of the sender asked for, one JSON object per line, and stops after --count", async () => {
    const run = tail(["--json", "--sender", "practice", "--count", "2"]);
    await run.ready;
    // Another sender's message first: with the sender filter broken, its events would be the first printed.
    const fromLab = await sendLabReport("lab", LAB, KLAMER);
    await delivered(fromLab, "klamer");
    const fromPractice = await sendLabReport("practice", PRACTICE, KLAMER);
    const result = await run.done;
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    // A routed message has no `received` event (its envelope makes that timeline entry): `routed` comes first.
    expect(lines[0]).toMatchObject({
      type: "routed",
      hubId: fromPractice,
      sender: "practice",
      kind: "lab-result",
      receivers: ["klamer", "databank"],
    });
    expect(lines[1]).toMatchObject({ sender: "practice" });
    expect(result.stderr).toContain("carehub messages tail: 2 event(s)");
    expect(cprShapesIn(result.stdout)).toEqual([]);
  });

  it("filters by event type (--status) and receiver, printing a human line", async () => {
    const run = tail(["--status", "delivered", "--receiver", "practice", "--count", "1"]);
    await run.ready;
    // A delivery to another receiver first, and the practice's own routed event before its delivery.
    const toKlamer = await sendLabReport("lab", LAB, KLAMER);
    await delivered(toKlamer, "klamer");
    const toPractice = await sendLabReport("lab", LAB, PRACTICE);
    const result = await run.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(`^\\S+ {2}delivered +${toPractice} {2}lab-result +lab -> practice {2}attempt 1\\n$`),
    );
    expect(cprShapesIn(result.stdout)).toEqual([]);
  });

  it("stops on SIGINT and after --for, exit 0, nothing on stdout when nothing happened", {
    timeout: 60_000,
  }, async () => {
    const interrupted = tail(["--json"]);
    await interrupted.ready;
    interrupted.child.kill("SIGINT");
    const stopped = await interrupted.done;
    expect(stopped).toMatchObject({ code: 0, stdout: "" });
    expect(stopped.stderr).toContain("carehub messages tail: 0 event(s)");
    const bounded = await tail(["--for", "1s", "--kind", "referral"]).done;
    expect(bounded).toMatchObject({ code: 0, stdout: "" });
  });

  it("refuses bad options with exit 2 and a namespace without streams with exit 1", { timeout: 90_000 }, async () => {
    // Each run is a process start: run them side by side.
    const [status, count, duration, kind, token, unprovisioned] = await Promise.all(
      [
        tail(["--status", "delivred"]),
        tail(["--count", "0"]),
        tail(["--for", "soon"]),
        tail(["--kind", "lab-reslt"]),
        tail(["--token", "abc"]),
        tail(["--count", "1"], testNamespace("cli-tail-none")),
      ].map((run) => run.done),
    );
    expect(status).toMatchObject({ code: 2, stdout: "" });
    expect(status?.stderr).toContain("--status must be an event type: received, rejected");
    expect(status?.stderr).toContain("did you mean delivered?");
    expect(count).toMatchObject({ code: 2, stdout: "" });
    expect(count?.stderr).toContain("--count needs a whole number >= 1");
    expect(duration).toMatchObject({ code: 2, stdout: "" });
    expect(duration?.stderr).toContain("--for needs a duration");
    expect(kind).toMatchObject({ code: 2, stdout: "" });
    expect(kind?.stderr).toContain("did you mean lab-result?");
    expect(token).toMatchObject({ code: 2, stdout: "" });
    expect(token?.stderr).toContain("messages tail takes no --token");
    expect(unprovisioned).toMatchObject({ code: 1, stdout: "" });
    expect(unprovisioned?.stderr).toContain("has no EVENTS stream; run carehub provision");
  });
});
