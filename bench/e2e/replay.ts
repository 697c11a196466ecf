/**
 * pnpm bench:replay [--count N] — how fast a recording replays into a fresh hub, as a ratio to the hub's
 * end-to-end ceiling measured in the same run on the same private servers (issue 14's done-when).
 *
 * 1. Ceiling: the e2e bench's hub scenario (`runHub`, webhook delivery, the mixed traffic) carries N messages.
 * 2. Replay: the same simulated traffic (bench/e2e/messages.ts: MedCom's examples with fresh ids), written as a
 *    carehub recording (one message a line, original outcome: delivered), replayed into a fresh in-process hub
 *    from @carehub/testkit-hub (`sendRecording`), timed from the first publish until the hub is quiet (every
 *    stream consumer idle). Every message must end delivered to its receiver, or the run exits 1.
 *
 * Keep N small on a shared machine (the default, 200, takes seconds); the done-when's 100,000 is a long run.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { recordingLine } from "@carehub/hub";
import type { RecordedMessage, RecordingHeader } from "@carehub/schemas";
import { startTestHub } from "@carehub/testkit-hub";
import { runHub } from "./hub.ts";
import { ENDPOINTS } from "./hub-registry.ts";
import { startInfra } from "./infra.ts";
import { messageAt } from "./messages.ts";

const { values } = parseArgs({ options: { count: { type: "string", default: "200" } } });
const count = Number.parseInt(values.count, 10);
if (!Number.isInteger(count) || count < 1) throw new Error("--count must be a positive whole number");

const run = `r${Date.now().toString(36)}`;
const infra = await startInfra();
const dir = await mkdtemp(join(tmpdir(), "carehub-bench-replay-"));
let failed = false;
try {
  const ceiling = await runHub(infra, { name: "ceiling", delivery: "webhook", messages: count, mix: "mixed" }, run);

  const start = Date.now();
  const header: RecordingHeader = {
    format: "carehub-recording",
    formatVersion: 1,
    recordedAt: new Date(start).toISOString(),
    selection: {},
    anonymised: false,
  };
  const lines = [recordingLine(header)];
  for (let i = 0; i < count; i++) {
    const m = messageAt("mixed", i, `${run}-rec`);
    const at = new Date(start + i).toISOString();
    const recorded: RecordedMessage = {
      seq: i + 1,
      sender: m.from,
      receivedAt: at,
      storedAt: at,
      headers: { "Content-Type": m.contentType },
      bytes: Buffer.from(m.body).toString("base64"),
      messageId: m.id,
      originalHubId: `original-${i}`,
      outcome: { status: "delivered", receivers: { [m.to]: "delivered" } },
    };
    lines.push(recordingLine(recorded));
  }
  const file = join(dir, "traffic.jsonl");
  await writeFile(file, lines.join(""));

  const hub = await startTestHub({
    endpoints: ENDPOINTS,
    servers: { natsUrl: infra.natsUrl, redisUrl: infra.redisUrl },
  });
  try {
    const began = performance.now();
    await hub.sendRecording(file);
    await hub.waitUntilQuiet(600_000);
    const replayMs = performance.now() - began;
    const snapshot = await hub.snapshotReadModel();
    const delivered = snapshot.filter((m) => m.status === "delivered").length;
    const replayRate = (count / replayMs) * 1000;
    console.log(`hub e2e ceiling: ${count} messages at ${ceiling.msgsPerSec.toFixed(0)} msg/s (webhook, mixed)`);
    console.log(
      `replay: ${count} messages in ${replayMs.toFixed(0)} ms, ${replayRate.toFixed(0)} msg/s until quiet; ${delivered} delivered`,
    );
    console.log(`replay / ceiling: ${(replayRate / ceiling.msgsPerSec).toFixed(2)}`);
    if (delivered !== count) {
      failed = true;
      console.error(`bench:replay: ${count - delivered} message(s) did not end delivered`);
    }
  } finally {
    await hub.close();
  }
} catch (error) {
  failed = true;
  console.error("bench:replay: FAILED", error);
} finally {
  await infra.stop();
  await rm(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
