import { cleanupNamespaceAt } from "@carehub/bus/testing";
import { openRecordingFile, parseServiceSettings, type RunningHub, replayRecording, startHub } from "@carehub/hub";
import { MessageLedger } from "@carehub/ledger";
import { hashToken } from "@carehub/registry";
import type { BusinessEntity, MessageLifecycle, RegistryConfigInput } from "@carehub/schemas";
import { parseHubConfig } from "@carehub/schemas";
import {
  type NatsServerHandle,
  type RedisServerHandle,
  sharedNatsUrl,
  sharedRedisUrl,
  startNatsServer,
  startRedisServer,
  testNamespace,
} from "@carehub/testkit";
import type { SnapshotEntry, TestHubHandle, TestHubOptions, TestRegistryOptions } from "../types/public-types.mts";
import { TestReceiver } from "./test-receiver.ts";

// The plain-data types of the surface live in types/public-types.mts (shared with the tarball's declarations).
export type {
  ReadModelSnapshot,
  SendResult,
  SnapshotEntry,
  TestHubEndpoint,
  TestHubOptions,
  TestRegistryOptions,
} from "../types/public-types.mts";

/** The hub identity a test hub has unless given another. */
export const TEST_HUB_IDENTITY = {
  id: "carehub",
  name: "carehub (test)",
  sor: "481521000016007",
  gln: "5790000199990",
} as const satisfies RegistryConfigInput["hub"];

/**
 * The registry of a hub inside a test: every endpoint delivered to by webhook (2 s timeout, in its `format` when
 * given) and known by the token `token-<id>`, as are the operators. One place for the test hub and carehub's own
 * e2e harness.
 */
export function testRegistry(options: TestRegistryOptions): RegistryConfigInput {
  return {
    hub: options.hub ?? TEST_HUB_IDENTITY,
    endpoints: options.endpoints.map(({ format, ...spec }) => ({
      delivery: {
        mode: "http",
        url: options.receiverUrl(spec.id),
        timeoutMs: 2_000,
        ...(format === undefined ? {} : { format }),
      },
      ...spec,
      auth: { tokenSha256: [hashToken(`token-${spec.id}`)] },
    })),
    rules: options.rules ?? [],
    operators: options.operators.map(({ id, role }) => ({
      id,
      name: `Operator ${id}`,
      tokenSha256: [hashToken(`token-${id}`)],
      ...(role === undefined ? {} : { role }),
    })),
  };
}

/**
 * The endpoints, rules and hub identity of a registry (a simulated region's, say) as test-hub options: each
 * endpoint's delivery and tokens are dropped, so the test hub gives it a webhook receiver and `token-<id>`.
 */
export function registryHubOptions(
  registry: Pick<RegistryConfigInput, "endpoints" | "rules" | "hub">,
): Pick<TestHubOptions, "endpoints" | "rules" | "hub"> {
  return {
    endpoints: registry.endpoints.map(({ delivery: _delivery, auth: _auth, ...endpoint }) => endpoint),
    ...(registry.rules === undefined ? {} : { rules: registry.rules }),
    hub: registry.hub,
  };
}

/** A whole hub inside a test (the handle's shape is types/public-types.mts's, shared with the declarations). */
export type TestHub = TestHubHandle<RunningHub, MessageLedger, TestReceiver>;

const OPERATOR = "operator";

/** Thrown by the expect* helpers: says what was expected and what the read model shows. */
export class TestHubAssertionError extends Error {
  override name = "TestHubAssertionError";
}

export async function startTestHub(options: TestHubOptions): Promise<TestHub> {
  const stops: Array<() => Promise<void>> = [];
  let nats: NatsServerHandle | undefined;
  let redisServer: RedisServerHandle | undefined;
  const servers = options.servers ?? "private";
  if (servers === "private") {
    nats = await startNatsServer();
    stops.push(() => nats?.stop() ?? Promise.resolve());
    redisServer = await startRedisServer();
    stops.push(() => redisServer?.stop() ?? Promise.resolve());
  }
  const natsUrl = nats?.url ?? (typeof servers === "object" ? servers.natsUrl : sharedNatsUrl());
  const redisUrl = redisServer?.url ?? (typeof servers === "object" ? servers.redisUrl : sharedRedisUrl());
  const namespace = options.namespace ?? testNamespace("testhub");
  const receivers = new Map<string, TestReceiver>();
  try {
    for (const spec of options.endpoints) {
      receivers.set(spec.id, await TestReceiver.start({ keep: options.keepDeliveries ?? true }));
    }
    const registry = testRegistry({
      endpoints: options.endpoints,
      receiverUrl: (id) => receivers.get(id)?.url ?? "",
      ...(options.hub === undefined ? {} : { hub: options.hub }),
      ...(options.rules === undefined ? {} : { rules: options.rules }),
      operators: [{ id: OPERATOR }],
    });
    const config = parseHubConfig(
      { NATS_URL: natsUrl, REDIS_URL: redisUrl, LOG_LEVEL: process.env.LOG_LEVEL ?? "warn" },
      // The test profile (CAREHUB_PROFILE=test, docs/decisions/0085): a test hub sheds no load for event-loop lag
      // or INGRESS backlog — a test that sends once must not get 503 because the machine running it is busy or
      // it built a backlog on purpose. options.config can set either bound.
      { profile: "test", ...options.config, namespace, httpPort: 0, registryPath: "unused" },
    );
    const settings = parseServiceSettings(options.settingsEnv ?? {}, config);
    const hub = await startHub({
      config,
      settings: { ...settings, console: { ...settings.console, port: 0 } },
      registry,
    });
    return testHubOf(hub, namespace, receivers, natsUrl, redisUrl, servers !== "private", stops);
  } catch (error) {
    for (const receiver of receivers.values()) await receiver.close();
    for (const stop of stops.reverse()) await stop();
    throw error;
  }
}

function testHubOf(
  hub: RunningHub,
  namespace: string,
  receivers: Map<string, TestReceiver>,
  natsUrl: string,
  redisUrl: string,
  cleanupAfter: boolean,
  stops: Array<() => Promise<void>>,
): TestHub {
  const url = hub.url ?? "";
  /** Every hub id sent, in order, with the reference the snapshot names it by. */
  const sent: Array<{ hubId: string; ref: string }> = [];
  const seen = new Set<string>();
  const unnamed = new Map<string, number>();
  const remember = (hubId: string, sender: string, messageId: string | undefined): void => {
    if (seen.has(hubId)) return;
    seen.add(hubId);
    const n = (unnamed.get(sender) ?? 0) + 1;
    if (messageId === undefined) unnamed.set(sender, n);
    sent.push({ hubId, ref: messageId === undefined ? `${sender}/#${n}` : `${sender}/${messageId}` });
  };
  const operatorHeaders = { authorization: `Bearer token-${OPERATOR}` };
  const ledger = new MessageLedger({
    redis: hub.redis,
    namespace,
    retentionDays: hub.config.retentionDays,
    hubEndpointId: hub.registry.current().hub.id,
  });

  const message = async (hubId: string): Promise<MessageLifecycle | undefined> => {
    const response = await fetch(`${url}/v1/messages/${encodeURIComponent(hubId)}`, { headers: operatorHeaders });
    if (response.status === 404) return undefined;
    if (response.status !== 200) throw new Error(`GET /v1/messages/${hubId} answered ${response.status}`);
    return (await response.json()) as MessageLifecycle;
  };

  const backlog = async (): Promise<{ pending: number; streamSeqs: string }> => {
    let pending = 0;
    const seqs: number[] = [];
    for (const stream of Object.values(hub.bus.topology.streams)) {
      const info = await hub.bus.jsm.streams.info(stream);
      seqs.push(info.state.last_seq);
      for (const consumer of await hub.bus.jsm.consumers.list(stream).next()) {
        pending += consumer.num_pending + consumer.num_ack_pending;
      }
    }
    return { pending, streamSeqs: seqs.join(",") };
  };

  const waitUntilQuiet = async (timeoutMs = 30_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    let previous: string | undefined;
    for (;;) {
      const { pending, streamSeqs } = await backlog();
      if (pending === 0 && previous === streamSeqs) return;
      previous = pending === 0 ? streamSeqs : undefined;
      if (Date.now() > deadline) {
        throw new Error(`the test hub was not quiet after ${timeoutMs} ms (${pending} message(s) pending)`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  const record = async (hubId: string): Promise<MessageLifecycle> => {
    await waitUntilQuiet();
    const found = await message(hubId);
    if (found === undefined) throw new TestHubAssertionError(`the hub has no record of message ${hubId}`);
    return found;
  };

  const shown = (r: MessageLifecycle): string =>
    `${r.status}; receivers: ${r.perReceiver.map((p) => `${p.endpoint} ${p.status}`).join(", ") || "none"}`;

  return {
    hub,
    namespace,
    url,
    ledger,
    receiver: (id) => {
      const receiver = receivers.get(id);
      if (receiver === undefined) throw new Error(`no endpoint ${id} in this test hub`);
      return receiver;
    },
    token: (id) => `token-${id}`,
    send: async (endpointId, body, contentType) => {
      const response = await fetch(`${url}/v1/messages`, {
        method: "POST",
        headers: { "content-type": contentType, authorization: `Bearer token-${endpointId}` },
        body: typeof body === "string" ? body : Buffer.from(body),
      });
      const answer = (await response.json().catch(() => undefined)) as { id?: string; messageId?: string } | undefined;
      if (answer?.id !== undefined) remember(answer.id, endpointId, answer.messageId);
      return { status: response.status, ...(answer?.id === undefined ? {} : { hubId: answer.id }), body: answer };
    },
    sendRecording: async (file) => {
      // Checked whole first (a bad line is refused before anything is sent), then read again as it is replayed.
      const recording = await openRecordingFile(file);
      const hubIds: string[] = [];
      // Stores without waiting for outcomes: waitUntilQuiet is the test's way to wait.
      await replayRecording(
        { bus: hub.bus, ledger, lookup: message },
        { header: recording.header, messages: recording.messages() },
        {
          compare: false,
          onStored: (m, hubId) => {
            hubIds.push(hubId);
            remember(hubId, m.sender, m.messageId);
          },
        },
      );
      return hubIds;
    },
    waitUntilQuiet,
    message,
    expectDeliveredTo: async (hubId, endpointId) => {
      const r = await record(hubId);
      const to = r.perReceiver.find((p) => p.endpoint === endpointId);
      const reached = ["delivered", "acknowledged", "negatively-acknowledged"];
      if (to === undefined || !reached.includes(to.status)) {
        throw new TestHubAssertionError(`expected ${hubId} delivered to ${endpointId}, the hub shows ${shown(r)}`);
      }
    },
    expectRejectedWith: async (hubId, code) => {
      const r = await record(hubId);
      const codes = r.rejection?.issues.map((issue) => issue.code) ?? [];
      if (r.status !== "rejected" || !codes.includes(code)) {
        throw new TestHubAssertionError(
          `expected ${hubId} rejected with ${code}, the hub shows ${shown(r)} (codes: ${codes.join(", ") || "none"})`,
        );
      }
    },
    expectAcknowledgedWith: async (hubId, endpointId, ackCode) => {
      const r = await record(hubId);
      const to = r.perReceiver.find((p) => p.endpoint === endpointId);
      if (to?.ackCode !== ackCode) {
        throw new TestHubAssertionError(
          `expected ${hubId} acknowledged by ${endpointId} with ${ackCode}, the hub shows ${shown(r)} (ack: ${to?.ackCode ?? "none"})`,
        );
      }
    },
    expectReferralStatus: async (originator, referralId, status) => {
      await waitUntilQuiet();
      const path = `${encodeURIComponent(originator)}/${encodeURIComponent(referralId)}`;
      const response = await fetch(`${url}/v1/referrals/${path}`, { headers: operatorHeaders });
      const entity = response.status === 200 ? ((await response.json()) as BusinessEntity) : undefined;
      if (entity?.status !== status) {
        throw new TestHubAssertionError(
          `expected referral ${referralId} of ${originator} ${status}, the hub shows ${entity === undefined ? `no referral (${response.status})` : String(entity.status)}`,
        );
      }
    },
    snapshotReadModel: async () => {
      await waitUntilQuiet();
      const refOf = new Map(sent.map((s) => [s.hubId, s.ref]));
      const entries: SnapshotEntry[] = [];
      for (const { hubId, ref } of sent) {
        const r = await message(hubId);
        entries.push(r === undefined ? { ref, status: "unknown", receivers: [], links: {} } : normalise(r, ref, refOf));
      }
      return entries.sort((a, b) => a.ref.localeCompare(b.ref));
    },
    close: async () => {
      await hub.stop();
      if (cleanupAfter) await cleanupHubNamespace(namespace, natsUrl, redisUrl);
      for (const receiver of receivers.values()) await receiver.close();
      for (const stop of stops.reverse()) await stop();
    },
  };
}

/**
 * A message's record without what differs between two runs of the same traffic: times, trace and event ids,
 * hub ids (a link names the other message by its ref), the hop timeline and error texts (codes stay).
 */
export function normalise(r: MessageLifecycle, ref: string, refOf: Map<string, string>): SnapshotEntry {
  const links: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(r.links)) {
    if (typeof value === "string") links[name] = refOf.get(value) ?? "(other)";
    else if (Array.isArray(value)) links[name] = value.map((v) => refOf.get(v) ?? "(other)").sort();
  }
  return {
    ref,
    ...(r.kind === undefined ? {} : { kind: r.kind }),
    status: r.status,
    receivers: r.perReceiver
      .map((p) => ({
        endpoint: p.endpoint,
        status: p.status,
        attempts: p.attempts,
        ...(p.ackCode === undefined ? {} : { ackCode: p.ackCode }),
        ...(p.rule === undefined ? {} : { rule: p.rule }),
      }))
      .sort((a, b) => a.endpoint.localeCompare(b.endpoint)),
    ...(r.rejection === undefined ? {} : { rejection: r.rejection.issues.map((i) => i.code).sort() }),
    ...(r.deadLetter === undefined ? {} : { deadLetter: r.deadLetter.code }),
    ...(r.subject === undefined ? {} : { subject: r.subject }),
    links,
  };
}

/** Deletes a hub namespace's streams and Redis keys (its own connections). */
export function cleanupHubNamespace(namespace: string, natsUrl: string, redisUrl: string): Promise<void> {
  return cleanupNamespaceAt(namespace, natsUrl, redisUrl);
}
