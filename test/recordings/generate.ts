/**
 * pnpm recordings:generate — remakes test/recordings/small-region.jsonl: the first MESSAGES messages the
 * simulator plans for its small region (region.ts; one practice sends some broken ones) sent one at a time
 * through the gateway of a private test hub, recorded with `carehub record --anonymise` once the hub is quiet.
 *
 * Deterministic: the plan is a function of seed, scenario and start time; the anonymisation key is fixed here
 * (the simulator's patients are synthetic already: a fixed key exposes nothing), and what differs between two
 * runs of the same traffic is fixed: the hub's namespace (hub ids derive from it), each message's receive and store
 * time (its planned time) and no trace headers. Run it twice and the file is byte for byte the same.
 */
import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { PassThrough } from "node:stream";
import { recordingLine, writeRecording } from "@carehub/hub";
import type { RecordedMessage, RecordingHeader } from "@carehub/schemas";
import { createPlanner } from "@carehub/simulator";
import { startTestHub } from "@carehub/testkit-hub";
import { REGION_SEED, recordingHubOptions, recordingRegion, recordingScenario } from "./region.ts";

const MESSAGES = 24;
const START = Date.UTC(2026, 0, 5, 8, 0, 0);
const KEY = createHash("sha256").update("carehub test/recordings").digest();
const OUT = new URL("small-region.jsonl", import.meta.url);
/** Headers that carry the run rather than the traffic. */
const RUN_HEADERS = ["traceparent", "tracestate"];

const region = recordingRegion();
const planner = createPlanner({
  seed: REGION_SEED,
  rate: 1,
  scenario: recordingScenario(),
  world: region.world,
  startTime: START,
});
const planned = Array.from({ length: MESSAGES }, () => planner.next());

// Private servers, so a fixed namespace (hub ids and stream names in the recording) is safe.
const hub = await startTestHub({ ...recordingHubOptions(), servers: "private", namespace: "recordings" });
let text = "";
try {
  for (const m of planned) await hub.send(m.from, m.body, m.contentType);
  await hub.waitUntilQuiet(60_000);
  const output = new PassThrough();
  output.on("data", (chunk: Buffer) => {
    text += chunk.toString("utf8");
  });
  await writeRecording(
    { bus: hub.hub.bus, ledger: hub.ledger, lookup: hub.message },
    {},
    { output, stderr: process.stderr, now: () => new Date(START + 86_400_000) },
    { anonymiseKey: KEY },
  );
} finally {
  await hub.close();
}

const [head, ...lines] = text.split("\n").filter((line) => line !== "");
const header = JSON.parse(head ?? "{}") as RecordingHeader;
const messages = lines.map((line, index) => {
  const message = JSON.parse(line) as RecordedMessage;
  const at = new Date(START + (planned[index]?.atMs ?? index * 1000)).toISOString();
  const headers = Object.fromEntries(
    Object.entries(message.headers)
      .filter(([name]) => !RUN_HEADERS.includes(name.toLowerCase()))
      .map(([name, value]) => [name, name === "Carehub-Received-At" ? at : value]),
  );
  return { ...message, receivedAt: at, storedAt: at, headers };
});
await writeFile(OUT, [header, ...messages].map(recordingLine).join(""));
const written = await readFile(OUT, "utf8");
console.log(`test/recordings/small-region.jsonl: ${messages.length} message(s), ${written.length} bytes`);
