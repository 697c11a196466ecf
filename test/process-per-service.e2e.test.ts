import { randomBytes, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectBus } from "@carehub/bus";
import { HUB_NODE_FLAGS, START_BUNDLE_ENTRY, START_BUNDLE_OPS_LISTENER, startBundleState } from "@carehub/hub";
import { buildReferral, type MessagingOrganization } from "@carehub/medcom-fhir";
import { hashToken } from "@carehub/registry";
import type { LifecycleEvent, RegistryConfigInput } from "@carehub/schemas";
import { sharedNatsUrl, testNamespace } from "@carehub/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HUB_IDENTITY, TestReceiver } from "./src/harness.ts";
import { cleanupHubNamespace } from "./src/namespace.ts";
import { type HubService, hubProcessEnv, ServiceProcess } from "./src/service-process.ts";
import { waitFor } from "./src/wait-for.ts";

/**
 * The hub as operators run it in production: one process per service, each started by `carehub start
 * <service>` with the same environment. One referral goes in through the gateway with a trace the test
 * starts; the test checks what each process promises whichever service it runs: the query API answers,
 * every process serves process metrics on its own ops port, every service's spans reach the collector under
 * the one trace id, which every lifecycle event and the message's timeline carry; the tracker's stale limit
 * and the dispatcher's backoff, set by environment, take effect in their processes.
 */

const SERVICES: readonly HubService[] = ["tracker", "dispatcher", "router", "intake", "gateway"];
type Service = HubService;

const PRACTICE: MessagingOrganization = { sor: "1144561000016002", gln: "5790000123117", name: "Lægerne i Byen" };
const HOSPITAL: MessagingOrganization = { sor: "265161000016000", gln: "5790000209354", name: "Herlev Hospital" };
const PATIENT = { identifier: { system: "cpr" as const, value: "2509479989" }, family: "Elmer", given: ["Bruno"] };
/** 0.00003 days = 2.6 s: far below the default 14 days, so only the setting can make the referral stale. */
const STALE_DAYS = { referral: { sent: 0.00003 } };
/** The default first retry waits 500–1000 ms; this setting makes it 100–200 ms. */
const BACKOFF_INITIAL_MS = 200;

interface RunningProcess {
  process: ServiceProcess;
  opsUrl: string;
  gatewayUrl: string | undefined;
}

interface CollectedSpan {
  service: string;
  traceId: string;
  name: string;
}

const namespace = testNamespace("procs");
const processes = new Map<Service, RunningProcess>();
const spans: CollectedSpan[] = [];
let collector: Server;
let receiver: TestReceiver;
let dir: string;

beforeAll(async () => {
  collector = await startCollector(spans);
  receiver = await TestReceiver.start();
  // The hospital answers the first delivery 503: the dispatcher must retry after its configured backoff.
  receiver.failNext(1, 503);
  dir = await mkdtemp(join(tmpdir(), "carehub-procs-"));
  const registryPath = join(dir, "endpoints.json");
  await writeFile(registryPath, JSON.stringify(registry(receiver.url)));
  const { port } = collector.address() as AddressInfo;
  const env = hubProcessEnv(namespace, registryPath, {
    CAREHUB_OPS_PORT: "0",
    LOG_LEVEL: "warn",
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
    OTEL_BSP_SCHEDULE_DELAY: "100",
    CAREHUB_TRACKER_STALE_DAYS: JSON.stringify(STALE_DAYS),
    CAREHUB_TRACKER_TIMER_POLL_MS: "100",
    CAREHUB_DISPATCH_BACKOFF_INITIAL_MS: String(BACKOFF_INITIAL_MS),
  });
  // All five at once: each provisions the streams (idempotently) and waits for nothing but NATS and Redis.
  // The router logs at info: its "ops port listening" line names the file its ops listener's thread runs.
  const started = await Promise.all(
    SERVICES.map((service) => startProcess(service, service === "router" ? { ...env, LOG_LEVEL: "info" } : env)),
  );
  for (const [i, service] of SERVICES.entries()) processes.set(service, started[i] as RunningProcess);
}, 60_000);

afterAll(async () => {
  await Promise.all([...processes.values()].map((p) => stopProcess(p)));
  await new Promise<void>((resolve) => collector?.close(() => resolve()));
  await receiver?.close();
  await cleanupHubNamespace(namespace);
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe("one process per service, each started by carehub start <service>", () => {
  it("serves health, readiness and process metrics from every process, on its own port", async () => {
    expect(new Set([...processes.values()].map((p) => p.opsUrl)).size).toBe(SERVICES.length);
    for (const [service, running] of processes) {
      expect((await fetch(`${running.opsUrl}/healthz`)).status, service).toBe(200);
      const ready = await fetch(`${running.opsUrl}/readyz`);
      expect(await ready.json(), service).toEqual({ status: "ok", checks: { nats: "ok", redis: "ok" } });
      const metrics = await (await fetch(`${running.opsUrl}/metrics`)).text();
      expect(metrics, service).toMatch(/^carehub_process_cpu_user_seconds_total \d/m);
      expect(metrics, service).toMatch(/^carehub_nodejs_eventloop_lag_seconds \d/m);
    }
  });

  it("runs every process with the hub's V8 flags and compile cache, and from the start bundle while it is fresh, though started as plain `node cli.ts start <service>`", () => {
    // The CLI re-execs itself with them (same pid); without that the young generation grows to 64–128 MiB, and
    // every start strips the modules' types again with a WebAssembly module that stays resident (0076, 0096).
    // `pnpm test` (scripts/test) builds the start bundle first, so these processes run it, and the rest of this
    // suite checks the bundled hub end to end; a stale or missing bundle must leave them on the sources (0105).
    const bundle = startBundleState();
    // scripts/test (so CI) has just built it: there it must be fresh, or the bundled hub would go untested.
    if (process.env.CAREHUB_EXPECT_START_BUNDLE === "1") expect(bundle.state).toBe("fresh");
    for (const [service, running] of processes) {
      const commandLine = readFileSync(`/proc/${running.process.pid}/cmdline`, "utf8").split("\0");
      expect(commandLine, service).toEqual(expect.arrayContaining([...HUB_NODE_FLAGS]));
      if (bundle.state === "fresh") expect(commandLine, service).toContain(START_BUNDLE_ENTRY);
      else expect(commandLine, service).not.toContain(START_BUNDLE_ENTRY);
      const environment = readFileSync(`/proc/${running.process.pid}/environ`, "utf8").split("\0");
      expect(environment, service).toContainEqual(expect.stringMatching(/^NODE_COMPILE_CACHE=.+/));
    }
    // And its ops listener's thread runs the listener built with the bundle (JavaScript: no TypeScript compiled in
    // a bundled process, 0121), not the source — as the thread itself reports its file.
    const logged = processes
      .get("router")
      ?.process.output.split("\n")
      .find((line) => line.includes('"ops port listening"'));
    const listener = (JSON.parse(logged ?? "{}") as { listener?: string }).listener;
    if (bundle.state === "fresh") expect(listener).toBe(START_BUNDLE_OPS_LISTENER);
    else expect(listener).toMatch(/\/ops-listener\.cts$/);
  });

  it("carries one trace through every service, stamps it on every event, answers queries, and honours each service's settings", async () => {
    const gatewayUrl = processes.get("gateway")?.gatewayUrl ?? "";
    const traceId = randomBytes(16).toString("hex");
    const referralId = `REF-${randomUUID()}`;
    const now = new Date().toISOString();
    const built = buildReferral({
      ids: { bundleId: randomUUID(), messageHeaderId: randomUUID() },
      now,
      sender: PRACTICE,
      receiver: HOSPITAL,
      patient: PATIENT,
      referral: {
        id: referralId,
        category: "hospital",
        priority: "routine",
        reasonCode: "DJ449",
        authoredOn: now.slice(0, 10),
      },
    });
    const sent = await fetch(`${gatewayUrl}/v1/messages`, {
      method: "POST",
      headers: {
        "content-type": "application/fhir+json",
        authorization: "Bearer token-practice",
        traceparent: `00-${traceId}-${randomBytes(8).toString("hex")}-01`,
      },
      body: built.json,
    });
    expect(sent.status).toBe(202);
    const { id: hubId } = (await sent.json()) as { id: string };

    // Delivered after one refused attempt, retried after the configured backoff, not the default one.
    const events = await waitFor("the delivery after one retry", async () => {
      const all = (await eventsOf(hubId)).filter((e) => e.hubId === hubId);
      return all.some((e) => e.type === "delivered") ? all : undefined;
    });
    const failed = events.find((e) => e.type === "delivery-failed");
    expect(failed?.type === "delivery-failed" ? failed.nextAttemptInMs : undefined).toBeLessThanOrEqual(
      BACKOFF_INITIAL_MS,
    );
    expect(receiver.accepted()).toHaveLength(1);

    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(["routed", "delivery-failed", "delivered"]));

    // The tracker, in its own process, folds the `delivered` event after it is on EVENTS: wait for its record.
    const message = await waitFor("the record to say delivered", async () => {
      const found = await query<{ traceId?: string; status: string }>(gatewayUrl, `/v1/messages/${hubId}`);
      return found.status === "delivered" ? found : undefined;
    });
    expect(message).toMatchObject({ traceId, status: "delivered" });

    // Stale after seconds, as CAREHUB_TRACKER_STALE_DAYS says in the tracker's own process.
    const referral = await waitFor("the referral to go stale", async () => {
      const found = await query<{ stale: boolean; status: string }>(gatewayUrl, `/v1/referrals/${referralId}`);
      return found.stale ? found : undefined;
    });
    expect(referral.status).toBe("sent");

    // Every lifecycle event, whichever process wrote it (the tracker's stale timer too), carries the trace the
    // sender started.
    const all = await eventsOf(hubId);
    expect(all.map((e) => e.type)).toContain("stale");
    expect(all.map((e) => [e.type, e.traceId])).toEqual(all.map((e) => [e.type, traceId]));

    // Spans from every service, all in the one trace.
    const services = await waitFor("spans from every service", async () => {
      const seen = new Set(spans.filter((s) => s.traceId === traceId).map((s) => s.service));
      return SERVICES.every((s) => seen.has(`carehub-${s}`)) ? seen : undefined;
    });
    expect([...services].sort()).toEqual(SERVICES.map((s) => `carehub-${s}`).sort());
  });

  it("shuts every process down cleanly on SIGTERM", async () => {
    const codes = await Promise.all([...processes.values()].map((p) => stopProcess(p)));
    expect(codes).toEqual(SERVICES.map(() => 0));
  });
});

function registry(webhookUrl: string): RegistryConfigInput {
  return {
    hub: HUB_IDENTITY,
    endpoints: [
      {
        id: "practice",
        name: "Lægerne i Byen",
        kind: "practice",
        identifiers: { sor: [PRACTICE.sor], gln: [PRACTICE.gln] },
        sends: ["referral", "acknowledgement"],
        accepts: ["acknowledgement"],
        delivery: { mode: "nats" },
        auth: { tokenSha256: [hashToken("token-practice")] },
      },
      {
        id: "hospital",
        name: "Herlev Hospital",
        kind: "hospital",
        identifiers: { sor: [HOSPITAL.sor], gln: [HOSPITAL.gln] },
        sends: ["acknowledgement"],
        accepts: ["referral", "acknowledgement"],
        delivery: { mode: "http", url: webhookUrl, timeoutMs: 2_000 },
        auth: { tokenSha256: [hashToken("token-hospital")] },
      },
    ],
    operators: [{ id: "operator", name: "Operator", tokenSha256: [hashToken("token-operator")] }],
  };
}

async function startProcess(service: Service, env: NodeJS.ProcessEnv): Promise<RunningProcess> {
  const process = new ServiceProcess(service, env);
  process.start();
  return { process, ...(await process.running(45_000)) };
}

async function stopProcess(running: RunningProcess): Promise<number | null> {
  return running.process.kill("SIGTERM");
}

async function query<T>(gatewayUrl: string, path: string): Promise<T> {
  const response = await fetch(`${gatewayUrl}${path}`, { headers: { authorization: "Bearer token-operator" } });
  if (response.status !== 200) throw new Error(`${path}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

async function eventsOf(hubId: string): Promise<LifecycleEvent[]> {
  const bus = await connectBus({ servers: sharedNatsUrl(), name: "procs-events", namespace });
  try {
    const stream = bus.topology.streams.events;
    const state = (await bus.jsm.streams.info(stream)).state;
    const events: LifecycleEvent[] = [];
    for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
      const stored = await bus.getMessage(stream, seq);
      if (stored !== null) events.push(JSON.parse(Buffer.from(stored.data).toString()) as LifecycleEvent);
    }
    return events.filter((e) => e.hubId === hubId);
  } finally {
    await bus.drain();
  }
}

interface OtlpBody {
  resourceSpans?: Array<{
    resource?: { attributes?: Array<{ key: string; value: { stringValue?: string } }> };
    scopeSpans?: Array<{ spans?: Array<{ traceId: string; name: string }> }>;
  }>;
}

/** A stand-in OpenTelemetry collector (OTLP/HTTP, JSON) that keeps every span it is sent. */
async function startCollector(into: CollectedSpan[]): Promise<Server> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as OtlpBody;
      for (const batch of body.resourceSpans ?? []) {
        const service =
          batch.resource?.attributes?.find((a) => a.key === "service.name")?.value.stringValue ?? "unknown";
        for (const scope of batch.scopeSpans ?? []) {
          for (const span of scope.spans ?? []) into.push({ service, traceId: hex(span.traceId), name: span.name });
        }
      }
      response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

/** OTLP/JSON writes ids as hex; some exporters as base64. */
function hex(id: string): string {
  return /^[0-9a-f]{32}$/i.test(id) ? id.toLowerCase() : Buffer.from(id, "base64").toString("hex");
}
