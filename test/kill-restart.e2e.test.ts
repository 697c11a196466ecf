import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Bus, connectBus } from "@carehub/bus";
import { buildLabReport, encodeXmlText } from "@carehub/medcom-xml";
import { hashToken } from "@carehub/registry";
import type { RegistryConfigInput } from "@carehub/schemas";
import { cleanupNamespace, freePort, sharedNatsUrl, sharedRedisUrl, testNamespace } from "@carehub/testkit";
import { medcomExamplesDir } from "@carehub/testkit/medcom-fixtures";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * Crash safety of the whole pipeline. Gateway, intake, router and dispatcher each run as their own child
 * process (`node services/<name>/src/main.ts`); a stream of messages goes in — every fourth over HTTP
 * through the gateway, the rest published straight onto INGRESS as NATS-connected endpoints do (for speed
 * on a small machine); each service is killed with SIGKILL once mid-run and restarted. Every message must reach every one of its receivers, and
 * each receiver must get each message id exactly once once repeats are dropped by message id — what the
 * contract asks of receivers (docs/contracts.md): a delivery the receiver took just before the dispatcher
 * died, and that the dispatcher could not yet record, is repeated; the test reports how many there were.
 *
 * CAREHUB_KILL_RESTART_MESSAGES sets the number of messages (default 10 000).
 */

const MESSAGES = Number(process.env.CAREHUB_KILL_RESTART_MESSAGES ?? 10_000);
const SENDERS = 24;
const ROOT = new URL("..", import.meta.url).pathname;
const HOMECARE = await readFile(
  medcomExamplesDir("fhir", "homecareobservation", "ig-401cbc36-db1e-4fe0-bf90-6df331dde179.json"),
  "utf8",
);
const HOMECARE_MESSAGE_ID = "489de4f2-0d8d-4de2-a7ce-ccb93568799f";
const HOMECARE_BUNDLE_ID = (JSON.parse(HOMECARE) as { id: string }).id;

const PRACTICE = { gln: "5790000127092" };
const KLAMER = { gln: "5790000125012" };
const LAB = { gln: "5790000120284" };

interface Outgoing {
  from: string;
  messageId: string;
  contentType: string;
  body: Uint8Array | string;
  /** The endpoints that must get it. */
  to: string[];
}

/** Message n of the run: a third each of practice lab results (to a colleague and the databank), lab results, home-care observations. */
function message(n: number): Outgoing {
  const id = randomUUID();
  if (n % 3 === 2) {
    return {
      from: "acute-team",
      messageId: id,
      contentType: "application/fhir+json",
      body: HOMECARE.replaceAll(HOMECARE_MESSAGE_ID, id).replaceAll(HOMECARE_BUNDLE_ID, randomUUID()),
      to: ["practice"],
    };
  }
  const fromPractice = n % 3 === 0;
  const letterId = String(10_000_000_000 + n);
  const xml = buildLabReport({
    ids: { envelopeId: `9${letterId}`, letterId },
    now: new Date(),
    sender: fromPractice ? PRACTICE : LAB,
    receiver: fromPractice ? KLAMER : PRACTICE,
    patient: { cpr: "1212778221" },
    sample: { laboratorySampleId: `S${letterId}` },
    results: [{ analysisCode: "NPU01807", status: "svar_endeligt", value: "5.5", unit: "mmol/l" }],
  });
  return {
    from: fromPractice ? "practice" : "lab",
    messageId: letterId,
    contentType: "application/xml",
    body: encodeXmlText(xml),
    to: fromPractice ? ["klamer", "databank"] : ["practice"],
  };
}

function registry(receiverUrl: string): RegistryConfigInput {
  const endpoint = (
    id: string,
    kind: "practice" | "laboratory" | "municipality" | "databank",
    identifiers: { sor?: string[]; gln: string[] },
    sends: Array<"lab-result" | "homecare-observation" | "acknowledgement">,
    accepts: Array<"lab-result" | "homecare-observation" | "acknowledgement">,
  ) => ({
    id,
    name: id,
    kind,
    identifiers: { sor: identifiers.sor ?? [], gln: identifiers.gln },
    sends,
    accepts,
    delivery: { mode: "http" as const, url: `${receiverUrl}/${id}`, timeoutMs: 2_000 },
    auth: { tokenSha256: [hashToken(`token-${id}`)] },
  });
  return {
    hub: { id: "carehub", name: "carehub (kill-restart)", sor: "481521000016007", gln: "5790000199990" },
    endpoints: [
      endpoint(
        "practice",
        "practice",
        { sor: ["52581000016005"], gln: [PRACTICE.gln] },
        ["lab-result", "acknowledgement"],
        ["lab-result", "homecare-observation", "acknowledgement"],
      ),
      endpoint("klamer", "practice", { gln: [KLAMER.gln] }, ["acknowledgement"], ["lab-result", "acknowledgement"]),
      endpoint("lab", "laboratory", { gln: [LAB.gln] }, ["lab-result", "acknowledgement"], ["acknowledgement"]),
      endpoint(
        "acute-team",
        "municipality",
        { sor: ["1144561000016002"], gln: ["5790000123117"] },
        ["homecare-observation", "acknowledgement"],
        ["acknowledgement"],
      ),
      endpoint(
        "databank",
        "databank",
        { gln: ["5790000188888"] },
        ["acknowledgement"],
        ["lab-result", "acknowledgement"],
      ),
    ],
    rules: [
      {
        id: "lab-databank-copy",
        when: { kind: "lab-result", senderKind: "practice", consentGiven: true, producedBySender: true },
        copyTo: ["databank"],
      },
    ],
  };
}

/** The receiving systems: record every delivery; like real receivers, count a repeated message id once. */
class Receivers {
  readonly unique = new Map<string, Set<string>>();
  repeats = 0;
  requests = 0;
  readonly #server: Server;

  constructor() {
    this.#server = createServer((request, response) => {
      const endpoint = (request.url ?? "/").slice(1);
      const messageId = String(request.headers["carehub-message-id"]);
      request.resume();
      request.on("end", () => {
        this.requests++;
        let seen = this.unique.get(endpoint);
        if (seen === undefined) {
          seen = new Set();
          this.unique.set(endpoint, seen);
        }
        if (seen.has(messageId)) this.repeats++;
        else seen.add(messageId);
        response.writeHead(200).end();
      });
    });
  }
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }
  count(endpoint: string): number {
    return this.unique.get(endpoint)?.size ?? 0;
  }
  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

const SERVICES = ["gateway", "intake", "router", "dispatcher"] as const;
type Service = (typeof SERVICES)[number];

/** One service as a child process, killable and restartable. */
class ServiceProcess {
  readonly name: Service;
  readonly #env: NodeJS.ProcessEnv;
  #child: ChildProcess | undefined;
  #output = "";

  constructor(name: Service, env: NodeJS.ProcessEnv) {
    this.name = name;
    this.#env = env;
  }
  start(): void {
    const child = spawn(process.execPath, [join(ROOT, `services/${this.name}/src/main.ts`)], {
      cwd: ROOT,
      env: this.#env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const keep = (chunk: Buffer) => {
      this.#output = (this.#output + chunk.toString()).slice(-4_000);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    this.#child = child;
  }
  kill(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.once("exit", () => resolve());
      child.kill(signal);
    });
  }
  get output(): string {
    return this.#output;
  }
}

describe("kill and restart every service mid-run", () => {
  const namespace = testNamespace("kill");
  const receivers = new Receivers();
  const services = new Map<Service, ServiceProcess>();
  let dir: string;
  let gatewayUrl: string;
  let bus: Bus;
  let redis: Redis;

  beforeAll(async () => {
    const receiverUrl = await receivers.start();
    dir = await mkdtemp(join(tmpdir(), "carehub-kill-"));
    const registryPath = join(dir, "endpoints.json");
    await writeFile(registryPath, JSON.stringify(registry(receiverUrl)));
    const port = await freePort();
    gatewayUrl = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      NATS_URL: sharedNatsUrl(),
      REDIS_URL: sharedRedisUrl(),
      CAREHUB_NAMESPACE: namespace,
      CAREHUB_REGISTRY: registryPath,
      CAREHUB_HTTP_PORT: String(port),
      LOG_LEVEL: "error",
      CAREHUB_DISPATCH_BACKOFF_INITIAL_MS: "200",
      CAREHUB_DISPATCH_BACKOFF_MAX_MS: "2000",
    };
    bus = await connectBus({ servers: sharedNatsUrl(), name: `test-${namespace}`, namespace });
    await bus.provision();
    redis = new Redis(sharedRedisUrl());
    for (const name of SERVICES) {
      const service = new ServiceProcess(name, env);
      services.set(name, service);
      service.start();
    }
    await waitUntil(
      async () => (await fetch(`${gatewayUrl}/healthz`).catch(() => undefined))?.ok === true,
      30_000,
      "the gateway",
    );
  }, 60_000);

  afterAll(async () => {
    for (const service of services.values()) await service.kill("SIGTERM");
    await receivers.close();
    await cleanupNamespace({ namespace, bus, redis });
    await bus?.drain();
    redis?.disconnect();
    await rm(dir, { recursive: true, force: true });
  });

  it(`delivers ${MESSAGES} messages exactly once per receiver through a SIGKILL of each service`, async () => {
    const started = Date.now();
    const outgoing = Array.from({ length: MESSAGES }, (_, n) => message(n));
    const expected = new Map<string, number>();
    for (const m of outgoing) for (const to of m.to) expected.set(to, (expected.get(to) ?? 0) + 1);

    // Kill each service once, at a different point of the run, and start it again.
    const killAt = new Map<number, Service>([
      [Math.floor(MESSAGES * 0.2), "gateway"],
      [Math.floor(MESSAGES * 0.4), "intake"],
      [Math.floor(MESSAGES * 0.6), "router"],
      [Math.floor(MESSAGES * 0.8), "dispatcher"],
    ]);
    const kills: Array<Promise<void>> = [];
    let next = 0;
    let sendRetries = 0;
    const publishOne = async (m: Outgoing): Promise<void> => {
      for (;;) {
        try {
          await bus.publish(bus.topology.subjects.ingress(m.from), m.body, {
            msgId: `${m.from}:${m.messageId}`,
            contentType: m.contentType,
          });
          return;
        } catch {
          sendRetries++;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    };
    const sendOne = async (m: Outgoing): Promise<void> => {
      for (;;) {
        try {
          const response = await fetch(`${gatewayUrl}/v1/messages`, {
            method: "POST",
            headers: { "content-type": m.contentType, authorization: `Bearer token-${m.from}` },
            body: typeof m.body === "string" ? m.body : Buffer.from(m.body),
          });
          await response.arrayBuffer();
          // 202 stored; 200 a repeat of a message the gateway had already stored (a retry after a crash).
          if (response.status === 202 || response.status === 200) return;
          if (response.status < 500) throw new Error(`gateway refused message ${m.messageId}: ${response.status}`);
        } catch (error) {
          if (error instanceof Error && error.message.startsWith("gateway refused")) throw error;
        }
        sendRetries++;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    const worker = async () => {
      for (;;) {
        const n = next++;
        const m = outgoing[n];
        if (m === undefined) return;
        const victim = killAt.get(n);
        if (victim !== undefined) kills.push(killAndRestart(victim));
        if (n % 4 === 0) await sendOne(m);
        else await publishOne(m);
      }
    };
    await Promise.all(Array.from({ length: SENDERS }, worker));
    const sentMs = Date.now() - started;
    await Promise.all(kills);

    const deadline = Date.now() + 170_000;
    const done = () => [...expected].every(([to, n]) => receivers.count(to) >= n);
    while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    const deliveredMs = Date.now() - started;
    // Late repeats would show up now.
    await new Promise((resolve) => setTimeout(resolve, 2_000));

    const got = Object.fromEntries([...expected.keys()].map((to) => [to, receivers.count(to)]));
    console.log(
      JSON.stringify({
        messages: MESSAGES,
        deliveriesExpected: [...expected.values()].reduce((a, b) => a + b, 0),
        sentInMs: sentMs,
        allDeliveredInMs: deliveredMs,
        sendRetries,
        receiverRequests: receivers.requests,
        repeatsDroppedByReceivers: receivers.repeats,
      }),
    );
    if (!done()) {
      for (const service of services.values()) console.log(`--- ${service.name}\n${service.output}`);
    }
    expect(got).toEqual(Object.fromEntries(expected));
    // Nothing else arrived: every message id a receiver got is one it should have got.
    const wanted = new Map<string, Set<string>>();
    for (const m of outgoing)
      for (const to of m.to) (wanted.get(to) ?? wanted.set(to, new Set()).get(to))?.add(m.messageId);
    for (const [to, ids] of receivers.unique)
      expect(
        [...ids].every((id) => wanted.get(to)?.has(id)),
        to,
      ).toBe(true);
    // A repeat can only be a delivery in flight when the dispatcher died (its endpoints × concurrency).
    expect(receivers.repeats).toBeLessThanOrEqual(5 * 8);
    // Nothing was dead-lettered or rejected.
    expect((await bus.jsm.streams.info(bus.topology.streams.dlq)).state.messages).toBe(0);
    const events = await bus.jsm.streams.info(bus.topology.streams.events, {
      subjects_filter: `${namespace}.events.rejected`,
    });
    expect(events.state.subjects?.[`${namespace}.events.rejected`] ?? 0).toBe(0);
  }, 240_000);

  async function killAndRestart(name: Service): Promise<void> {
    const service = services.get(name);
    if (service === undefined) return;
    await service.kill("SIGKILL");
    await new Promise((resolve) => setTimeout(resolve, 300));
    service.start();
  }
});

async function waitUntil(probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
