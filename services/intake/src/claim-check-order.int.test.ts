import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { type Bus, connectBus, HEADER, inlineMessageLimit, serverMaxPayload } from "@carehub/bus";
import { connectTestRedis, waitFor } from "@carehub/bus/testing";
import { EndpointRegistry, hashToken } from "@carehub/registry";
import type { Envelope, RegistryConfigInput } from "@carehub/schemas";
import { cleanupNamespace, type NatsServerHandle, startNatsServer, testNamespace } from "@carehub/testkit";
import { medcomExamplesDir } from "@carehub/testkit/medcom-fixtures";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningIntake, startIntake } from "./start-intake.ts";

/**
 * A sender's claim-checked message keeps its place in the sender's lane (docs/decisions/0134). The consumer fetches a
 * claim-checked payload from the object store before it can hand the message over; a smaller message of the same
 * sender behind it needs no fetch. A private nats-server with a 256 KiB max_payload keeps the large message small
 * (the claim-check tests' way): 4 MiB, 32 chunks of the object store to read, against none for the letters behind.
 */
const MAX_PAYLOAD = 256 * 1024;
const LARGE = 4 * 1024 * 1024;

const HOMECARE = readFileSync(
  `${medcomExamplesDir()}/fhir/homecareobservation/ig-401cbc36-db1e-4fe0-bf90-6df331dde179.json`,
  "utf8",
);
const MESSAGE_ID = "489de4f2-0d8d-4de2-a7ce-ccb93568799f";

/** MedCom's HomeCareObservation (acute team → practice) under a fresh message id, padded with spaces to `size`. */
function homecare(size = 0): Buffer {
  const text = HOMECARE.replaceAll(MESSAGE_ID, randomUUID());
  const bytes = Buffer.alloc(Math.max(size, Buffer.byteLength(text)), " ");
  bytes.write(text, "utf8");
  return bytes;
}

const endpoint = (id: string, kind: string, sor: string, gln: string) => ({
  id,
  name: id,
  kind,
  identifiers: { sor: [sor], gln: [gln] },
  sends: ["homecare-observation"],
  accepts: ["acknowledgement", "homecare-observation"],
  delivery: { mode: "nats" },
  auth: { tokenSha256: [hashToken(`token-${id}`)] },
});
const registry = EndpointRegistry.from({
  hub: { id: "carehub", name: "test hub", sor: "481521000016007", gln: "5790000199990" },
  endpoints: [
    endpoint("acute-team", "municipality", "1144561000016002", "5790000123117"),
    endpoint("practice", "practice", "52581000016005", "5790000127092"),
  ],
} as RegistryConfigInput);

const namespace = testNamespace("intake-claim-order");
let server: NatsServerHandle;
let bus: Bus;
let redis: Redis;
let intake: RunningIntake | undefined;

beforeAll(async () => {
  server = await startNatsServer({ maxPayload: MAX_PAYLOAD });
  bus = await connectBus({ servers: server.url, name: `test-${namespace}`, namespace });
  await bus.provision();
  redis = connectTestRedis();
  expect(inlineMessageLimit(serverMaxPayload(bus.nc))).toBeLessThan(LARGE);
});

afterAll(async () => {
  await intake?.stop();
  await cleanupNamespace({ namespace, redis }).catch(() => undefined);
  await bus?.drain();
  redis?.disconnect();
  await server?.stop();
});

// Catches the lane entered only once the payload is in hand (the order before decision 0134): the small messages
// behind a claim-checked one, handed over while its 32 chunks are still being read, went to PIPELINE before it.
describe("intake with a sender's claim-checked message ahead of smaller ones", () => {
  it("puts the sender's envelopes on PIPELINE in INGRESS order", async () => {
    const subject = bus.topology.subjects.ingress("acute-team");
    const stored: number[] = [];
    // Twice: a large message, then five small ones, all of one sender, on INGRESS before intake starts (a backlog
    // in hand: the consumer hands over up to its concurrency at once).
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 6; i++) {
        const put = await bus.publish(subject, homecare(i === 0 ? LARGE : 0), {
          msgId: `acute-${round}-${i}`,
          contentType: "application/fhir+json",
        });
        stored.push(put.seq);
      }
    }
    const ingress = bus.topology.streams.ingress;
    for (const seq of [stored[0], stored[6]]) {
      const raw = await bus.jsm.streams.getMessage(ingress, { seq: seq ?? 0 });
      expect(raw?.header?.get(HEADER.claimCheck)).toMatch(/^[0-9a-f]{64}$/);
    }

    intake = await startIntake({ bus, redis, registry, retentionDays: 1 });
    const pipeline = bus.topology.streams.pipeline;
    await waitFor(
      async () => (await bus.jsm.streams.info(pipeline)).state.messages === stored.length,
      "every envelope on PIPELINE",
      20_000,
    );
    const seqs: number[] = [];
    for (let seq = 1; seq <= stored.length; seq++) {
      const envelope = JSON.parse(Buffer.from((await bus.getMessage(pipeline, seq))?.data ?? []).toString());
      seqs.push((envelope as Envelope).payload.seq);
    }
    expect(seqs).toEqual(stored);
  }, 40_000);
});
