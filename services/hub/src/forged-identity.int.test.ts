import { randomBytes } from "node:crypto";
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ingressHubId, messageHubId } from "@carehub/ledger";
import { parseHubConfig, type RegistryConfigInput } from "@carehub/schemas";
import { createStore } from "@carehub/store";
import {
  cleanupNamespace,
  type NatsServerHandle,
  sharedRedisUrl,
  startNatsServer,
  testNamespace,
} from "@carehub/testkit";
import { jetstream } from "@nats-io/jetstream";
import {
  connect,
  type NatsConnection,
  headers as natsHeaders,
  nkeyAuthenticator,
  nkeys,
} from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningHub, startHub } from "./start-hub.ts";
import { runCliCollected } from "./testing.ts";

// Issue 9: an endpoint with NATS credentials published a message without a readable id on its own ingress
// subject with a Carehub-Hub-Id header naming a victim's hub id; intake kept the header's id, and the victim's
// delivered message then showed rejected and dead-lettered. Real nats-server with the authorization
// `carehub nats-config` writes, real intake and tracker, real Redis.
const namespace = testNamespace("forge");
const hubPassword = randomBytes(18).toString("base64url");
const victimKey = nkeys.createUser();
const attackerKey = nkeys.createUser();
const VICTIM = "acute-team";
const ATTACKER = "mallory";
const HUB_ID = "carehub-forge-hub";
const FIXTURES = new URL("../../../test/fixtures/medcom/examples/", import.meta.url);
const HOMECARE = new URL("fhir/homecareobservation/ig-401cbc36-db1e-4fe0-bf90-6df331dde179.json", FIXTURES);
const HOMECARE_ID = "489de4f2-0d8d-4de2-a7ce-ccb93568799f";

const registry: RegistryConfigInput = {
  hub: { id: HUB_ID, name: "test hub", sor: "481521000016007", gln: "5790000199990" },
  endpoints: [
    {
      id: VICTIM,
      name: "Pleje og Rehabilitering",
      kind: "municipality",
      identifiers: { sor: ["1144561000016002"], gln: ["5790000123117"] },
      sends: ["homecare-observation"],
      accepts: ["acknowledgement"],
      delivery: { mode: "nats" },
      auth: { tokenSha256: [randomBytes(32).toString("hex")], natsNkey: victimKey.getPublicKey() },
    },
    {
      id: ATTACKER,
      name: "another practice",
      kind: "practice",
      identifiers: { sor: ["52581000016005"], gln: ["5790000127092"] },
      sends: ["homecare-observation"],
      accepts: ["acknowledgement"],
      delivery: { mode: "nats" },
      auth: { tokenSha256: [randomBytes(32).toString("hex")], natsNkey: attackerKey.getPublicKey() },
    },
  ],
};

let dir: string;
let server: NatsServerHandle;
let hub: RunningHub;
const endpoints: NatsConnection[] = [];

async function writeAuthorization(): Promise<void> {
  const { code } = await runCliCollected(["nats-config", "--out", join(dir, "carehub-auth.conf")], {
    NATS_USER: "carehub-hub",
    NATS_PASS: hubPassword,
    CAREHUB_REGISTRY: join(dir, "endpoints.json"),
    CAREHUB_NAMESPACE: namespace,
  });
  if (code !== 0) throw new Error(`carehub nats-config exited ${code}`);
}

async function endpoint(id: string, key: typeof victimKey): Promise<NatsConnection> {
  const nc = await connect({
    servers: server.url,
    authenticator: nkeyAuthenticator(key.getSeed()),
    inboxPrefix: `_INBOX_${id}`,
  });
  endpoints.push(nc);
  return nc;
}

async function until<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "carehub-forge-"));
  await writeFile(join(dir, "endpoints.json"), JSON.stringify(registry));
  await writeAuthorization();
  const infra = new URL("../../../infra/nats/", import.meta.url);
  await copyFile(new URL("nats.conf", infra), join(dir, "nats.conf"));
  await copyFile(new URL("nats-auth.conf", infra), join(dir, "nats-auth.conf"));
  server = await startNatsServer({ args: ["-c", join(dir, "nats-auth.conf")] });
  const config = parseHubConfig(
    { NATS_URL: server.url, NATS_USER: "carehub-hub", NATS_PASS: hubPassword, REDIS_URL: sharedRedisUrl() },
    { namespace, httpPort: 0, logLevel: "silent" },
  );
  hub = await startHub({ config, registry, services: ["intake", "tracker"], tracing: false });
});

afterAll(async () => {
  for (const nc of endpoints) await nc.close();
  if (hub !== undefined) {
    await cleanupNamespace({ namespace, redis: hub.redis });
    await hub.stop();
  }
  await server?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe("an endpoint publishing on NATS cannot choose a message's identity", () => {
  it("leaves the victim's message untouched when a forged Carehub-Hub-Id names it", async () => {
    const store = createStore({
      redis: hub.redis,
      namespace,
      retentionDays: hub.config.retentionDays,
      patientHashKey: hub.config.patientHashKey,
      ackTimeoutMs: () => undefined,
    });
    const victimId = messageHubId(namespace, VICTIM, HOMECARE_ID);
    await jetstream(await endpoint(VICTIM, victimKey)).publish(
      hub.bus.topology.subjects.ingress(VICTIM),
      await readFile(HOMECARE),
      { msgID: `victim-${randomBytes(4).toString("hex")}`, headers: contentType("application/fhir+json") },
    );
    const before = await until(
      async () => ((await store.getMessage(victimId))?.kind === undefined ? undefined : store.getMessage(victimId)),
      "the victim's message in the read model",
    );
    expect(before?.status).toBe("received");

    // Bytes without a readable id, under the victim's hub id and the attacker's own source (as the gateway sets).
    const headers = contentType("application/xml");
    headers.set("Carehub-Hub-Id", victimId);
    headers.set("Carehub-Source-Endpoint", ATTACKER);
    const forged = await jetstream(await endpoint(ATTACKER, attackerKey)).publish(
      hub.bus.topology.subjects.ingress(ATTACKER),
      "%PDF-1.4 not a MedCom message",
      { msgID: `forged-${randomBytes(4).toString("hex")}`, headers },
    );
    const ownId = ingressHubId(forged.stream, forged.seq);
    const attackers = await until(async () => {
      const record = await store.getMessage(ownId);
      return record?.hops.some((hop) => hop.type === "dead-lettered") ? record : undefined;
    }, "the forged message rejected and dead-lettered under its own INGRESS id");
    expect([attackers.sender, attackers.status]).toEqual([ATTACKER, "rejected"]);

    const after = await store.getMessage(victimId);
    expect(after?.status).toBe("received");
    expect(after?.rejection).toBeUndefined();
    expect(after?.hops.map((h) => h.type)).toEqual(before?.hops.map((h) => h.type));
  });
});

function contentType(value: string) {
  const h = natsHeaders();
  h.set("Content-Type", value);
  return h;
}
