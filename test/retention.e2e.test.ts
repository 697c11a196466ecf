import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { indexMember } from "@carehub/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "./src/harness.ts";

/**
 * Retention, streams and read model together (issue 16, item 7): a hub configured to keep messages for a few
 * seconds (CAREHUB_RETENTION_DAYS as a fraction of a day) lets a delivered message leave every stream that held it
 * and every Redis key that named it — record, indexes, ledger, routing and delivery markers — once it is older
 * than the retention. Nothing waits a fixed time: the test polls each place until it is empty, within a deadline.
 */

const RETENTION_SECONDS = 12;
const HOMECARE = readFileSync(
  new URL(
    "./fixtures/medcom/examples/fhir/homecareobservation/ig-401cbc36-db1e-4fe0-bf90-6df331dde179.json",
    import.meta.url,
  ),
  "utf8",
);
const MESSAGE_ID = "489de4f2-0d8d-4de2-a7ce-ccb93568799f";
const MESSAGE_STREAMS = ["ingress", "pipeline", "outbox", "events", "dlq", "inbox"] as const;

let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    config: { retentionDays: RETENTION_SECONDS / 86_400 },
    serviceEnv: { CAREHUB_TRACKER_SWEEP_INTERVAL_MS: "500" },
  });
});

afterAll(async () => {
  await h?.close();
});

/** Every stream message that names the message (subject, headers or bytes), as `<stream>#<seq>`. */
async function streamsNaming(ids: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const role of MESSAGE_STREAMS) {
    for (const message of await h.streamMessages(role)) {
      const text = `${message.subject} ${JSON.stringify(message.headers)} ${Buffer.from(message.data).toString()}`;
      if (ids.some((id) => text.includes(id))) found.push(`${role}#${message.seq}`);
    }
  }
  return found;
}

/** Every Redis key of the namespace whose name or content names the message. */
async function redisKeysNaming(ids: string[]): Promise<string[]> {
  const redis = h.hub.redis;
  const found: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${h.namespace}:*`, "COUNT", 1_000);
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      const content =
        type === "string"
          ? await redis.getBuffer(key).then((b) => b?.toString("latin1") ?? "")
          : type === "hash"
            ? JSON.stringify(await redis.hgetall(key))
            : type === "zset"
              ? JSON.stringify(await redis.zrange(key, 0, -1))
              : type === "set"
                ? JSON.stringify(await redis.smembers(key))
                : type === "list"
                  ? JSON.stringify(await redis.lrange(key, 0, -1))
                  : "";
      if (ids.some((id) => key.includes(id) || content.includes(id))) found.push(key);
    }
  } while (cursor !== "0");
  return found;
}

async function readModelStatus(hubId: string): Promise<number> {
  const response = await fetch(`${h.url}/v1/messages/${hubId}`, {
    headers: { authorization: `Bearer ${h.token("operator")}` },
  });
  await response.arrayBuffer();
  return response.status;
}

describe("retention", () => {
  it("lets a delivered message leave every stream and the read model once it is older than the retention", async () => {
    const messageId = randomUUID();
    const response = await h.send("acute-team", HOMECARE.replaceAll(MESSAGE_ID, messageId), "application/fhir+json");
    expect(response.status).toBe(202);
    const { id: hubId } = (await response.json()) as { id: string };
    // The read model's indexes name the message by its compact member (docs/decisions/0064), not its hub id.
    const ids = [hubId, indexMember(hubId), messageId];

    await h.receiver("practice").waitFor((d) => d.some((x) => x.messageId === messageId), 20_000);
    await h.waitFor(async () => ((await readModelStatus(hubId)) === 200 ? true : undefined), "the read model's record");
    // Present everywhere to begin with, so "gone" below means gone, not never there.
    expect(await streamsNaming(ids)).not.toEqual([]);
    expect(await redisKeysNaming(ids)).not.toEqual([]);

    // Within the retention plus a margin for JetStream's expiry timer and one sweep under load.
    const deadline = Date.now() + RETENTION_SECONDS * 1000 + 40_000;
    let remaining: string[] = [];
    do {
      remaining = [...(await streamsNaming(ids)), ...(await redisKeysNaming(ids))];
      if (remaining.length > 0) await new Promise((resolve) => setTimeout(resolve, 250));
    } while (remaining.length > 0 && Date.now() < deadline);
    // Names what stayed: a stream not cut to the retention, a key without a TTL, an index the sweep missed.
    expect(remaining).toEqual([]);
    expect(await readModelStatus(hubId)).toBe(404);
  }, 90_000);
});
