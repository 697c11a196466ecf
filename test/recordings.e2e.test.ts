import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseMessage } from "@carehub/formats";
import { openRecordingFile, replayRecording } from "@carehub/hub";
import { startTestHub } from "@carehub/testkit-hub";
import { describe, expect, it } from "vitest";
import { recordingHubOptions, recordingRegion } from "./recordings/region.ts";

/**
 * The recordings committed under test/recordings/ (made with the simulator: `pnpm recordings:generate`, see its
 * README) replayed into a fresh hub end as the hub that recorded them ended. A change in the hub that gives the
 * same traffic another outcome (routing, validation, delivery) shows here as a difference to look at: either a
 * regression, or a new behaviour to record again on purpose.
 */

const DIR = new URL("recordings/", import.meta.url);
const FILES = readdirSync(DIR).filter((name) => name.endsWith(".jsonl"));

describe("test/recordings", () => {
  it("holds at least the small region's recording", () => {
    expect(FILES).toContain("small-region.jsonl");
  });

  it.each(FILES)("%s holds none of the region's patients and every message reads as it did", async (name) => {
    // Catches a recording committed without --anonymise (or an anonymiser that misses a CPR or a name).
    const recording = await openRecordingFile(fileURLToPath(new URL(name, DIR)));
    expect(recording.header.anonymised).toBe(true);
    const patients = recordingRegion().world.patients;
    const personal = patients.flatMap((p) => [p.cpr, p.family, p.given]);
    let readable = 0;
    for await (const message of recording.messages()) {
      const bytes = Buffer.from(message.bytes, "base64");
      const text = bytes.toString("latin1");
      expect(personal.filter((value) => text.includes(value))).toEqual([]);
      const contentType = message.headers["Content-Type"];
      const parsed = parseMessage(bytes, contentType === undefined ? {} : { contentType });
      // What the original hub took and routed is still a readable message after anonymising.
      if (message.outcome?.status !== "rejected") {
        expect(parsed.ok).toBe(true);
        readable++;
      }
    }
    expect(readable).toBeGreaterThan(0);
  });

  it.each(FILES)("%s replays into a fresh hub to the recorded outcomes", async (name) => {
    // Catches a replay or a hub that gives recorded traffic another outcome: a message lost, routed elsewhere,
    // rejected now or no longer rejected.
    const file = await openRecordingFile(fileURLToPath(new URL(name, DIR)));
    const hub = await startTestHub({ ...recordingHubOptions(), servers: "shared" });
    try {
      const report = await replayRecording(
        { bus: hub.hub.bus, ledger: hub.ledger, lookup: hub.message },
        { header: file.header, messages: file.messages() },
        { timeoutMs: 60_000, quietMs: 10_000 },
      );
      expect(report.sent).toBe(file.count);
      expect(report.differences).toEqual([]);
      // Both kinds of ending are in the small region's recording.
      if (name === "small-region.jsonl") {
        expect(Object.keys(report.statuses).sort()).toEqual(["delivered", "rejected"]);
      }
    } finally {
      await hub.close();
    }
  });
});
