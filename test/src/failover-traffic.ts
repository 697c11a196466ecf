/**
 * Steady traffic through a harness's HTTP gateway while a test takes NATS nodes or the Redis primary away, and
 * the checks that follow: nothing the gateway accepted is lost, no receiver gets a message id twice, and the
 * read model applied every lifecycle event once.
 *
 *   const traffic = startFailoverTraffic(h);
 *   await traffic.waitForAccepted(20);          // 20 more accepted from now on
 *   ...kill something...
 *   const outage = await traffic.waitForAccepted(20, 60_000);   // intake answers again
 *   await traffic.stop();
 *   const figures = await verifyNothingLostOrTwice(h, traffic);
 *
 * The acute team sends MedCom HomeCareObservation messages (each with its own message id) to the practice.
 * A sender that gets no 2xx (503 during an election, 429, a cut connection) sends the same message again after
 * a short pause, as the SDK does, until the gateway takes it; only a 2xx counts as accepted.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { metricValue } from "@carehub/observability";
import type { MessageLifecycle } from "@carehub/schemas";
import { storeKeys } from "@carehub/store";
import { medcomExamplesDir } from "@carehub/testkit/medcom-fixtures";
import type { Harness } from "./harness.ts";

const HOMECARE = readFileSync(
  medcomExamplesDir("fhir", "homecareobservation", "ig-401cbc36-db1e-4fe0-bf90-6df331dde179.json"),
  "utf8",
);
const HOMECARE_MESSAGE_ID = "489de4f2-0d8d-4de2-a7ce-ccb93568799f";
const HOMECARE_BUNDLE_ID = (JSON.parse(HOMECARE) as { id: string }).id;
const SENDER = "acute-team";
export const FAILOVER_RECEIVER = "practice";
const OPERATOR = { authorization: "Bearer token-operator" };
/** A client's pause before it sends a refused message again (what a Retry-After of a second asks, shortened). */
const RESEND_PAUSE_MS = 100;

export interface FailoverTraffic {
  /** Every message id the gateway answered 2xx, with the hub id it gave. */
  readonly accepted: ReadonlyMap<string, string>;
  /** Answers by status (`network` for a cut connection or timeout), sends and queries apart. */
  readonly answers: { send: Record<string, number>; query: Record<string, number> };
  /**
   * Resolves once `more` messages have been accepted after the call, with the longest time from `since`
   * (default: the call) to then that no send was accepted (ms): the outage intake showed. Fails `timeoutMs`
   * after the call.
   */
  waitForAccepted(more: number, timeoutMs?: number, since?: number): Promise<number>;
  /**
   * Resolves once a query (`GET /v1/messages/:id`, which writes an access record to AUDIT) sent at or after
   * `since` (default: now) has answered 200, with how long after `since` the first such answer came (ms). Fails
   * `timeoutMs` after `since`.
   */
  waitForQueryAnswer(since?: number, timeoutMs?: number): Promise<number>;
  /** Stops sending and querying; resolves when every sender has finished its current message. */
  stop(): Promise<void>;
}

function homecareObservation(messageId: string): string {
  return HOMECARE.replaceAll(HOMECARE_MESSAGE_ID, messageId).replaceAll(HOMECARE_BUNDLE_ID, randomUUID());
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface FailoverTrafficOptions {
  /** Senders at once (default 3). */
  senders?: number;
  /** Each sender's pause between two messages (default 100 ms): steady traffic, not a flood to verify later. */
  intervalMs?: number;
}

export function startFailoverTraffic(h: Harness, options: FailoverTrafficOptions = {}): FailoverTraffic {
  const accepted = new Map<string, string>();
  const answers = { send: {} as Record<string, number>, query: {} as Record<string, number> };
  const tally = (into: Record<string, number>, key: string) => {
    into[key] = (into[key] ?? 0) + 1;
  };
  let stopped = false;
  let lastAcceptAt = Date.now();
  /** Queries that answered 200: when each was sent and answered (a query sent before a kill proves nothing after it). */
  const answeredQueries: Array<{ sentAt: number; answeredAt: number }> = [];

  const sendUntilAccepted = async (messageId: string): Promise<void> => {
    const body = homecareObservation(messageId);
    while (!stopped) {
      const answer = await h
        .send(SENDER, body, "application/fhir+json")
        .then(async (response) => ({ status: response.status, json: (await response.json()) as { id?: string } }))
        .catch(() => undefined);
      tally(answers.send, answer === undefined ? "network" : String(answer.status));
      if (answer !== undefined && answer.status < 300 && answer.json.id !== undefined) {
        accepted.set(messageId, answer.json.id);
        lastAcceptAt = Date.now();
        return;
      }
      await pause(RESEND_PAUSE_MS);
    }
  };
  const sender = async (): Promise<void> => {
    while (!stopped) {
      await sendUntilAccepted(randomUUID());
      await pause(options.intervalMs ?? 100);
    }
  };
  const querier = async (): Promise<void> => {
    while (!stopped) {
      // The first message accepted: the read model has it by now, so a working query answers 200.
      const hubId = accepted.values().next().value;
      if (hubId === undefined) {
        await pause(RESEND_PAUSE_MS);
        continue;
      }
      const sentAt = Date.now();
      const status = await fetch(`${h.url}/v1/messages/${hubId}`, {
        headers: OPERATOR,
        signal: AbortSignal.timeout(10_000),
      })
        .then(async (response) => {
          await response.arrayBuffer();
          return String(response.status);
        })
        .catch(() => "network");
      tally(answers.query, status);
      if (status === "200") answeredQueries.push({ sentAt, answeredAt: Date.now() });
      await pause(RESEND_PAUSE_MS);
    }
  };
  const running = [...Array.from({ length: options.senders ?? 3 }, sender), querier()];

  return {
    accepted,
    answers,
    async waitForAccepted(more, timeoutMs = 60_000, since = Date.now()) {
      const target = accepted.size + more;
      const started = Date.now();
      let longestGap = Math.max(0, started - Math.max(lastAcceptAt, since));
      while (accepted.size < target) {
        longestGap = Math.max(longestGap, Date.now() - Math.max(lastAcceptAt, since));
        if (Date.now() - started > timeoutMs) {
          throw new Error(
            `intake: ${accepted.size}/${target} accepted after ${timeoutMs} ms (answers so far: ${JSON.stringify(answers.send)})`,
          );
        }
        await pause(50);
      }
      return longestGap;
    },
    async waitForQueryAnswer(since = Date.now(), timeoutMs = 60_000) {
      for (;;) {
        const first = answeredQueries.find((q) => q.sentAt >= since);
        if (first !== undefined) return first.answeredAt - since;
        if (Date.now() - since > timeoutMs) throw new Error(`queries: no answer within ${timeoutMs} ms`);
        await pause(50);
      }
    },
    async stop() {
      stopped = true;
      await Promise.all(running);
    },
  };
}

export interface FailoverFigures {
  accepted: number;
  /** Accepted messages the receiver never got (must be 0). */
  lost: number;
  /** Accepted messages whose read-model record does not show them delivered (must be 0). */
  notRecordedDelivered: number;
  /**
   * Message ids the receiver got more than once: wire duplicates, which the contract allows when an attempt
   * could not report back (a dispatcher that died mid-call, or Redis failing over between the call and its
   * record), and which receivers drop by message id.
   */
  repeatedAtReceiver: number;
  /** What the hub counted of them (`carehub_delivery_possible_duplicates_total`): never fewer than occurred. */
  wireDuplicatesCounted: number;
  /** Messages whose read-model record shows a lifecycle event applied twice, or more than one delivery (must be 0). */
  appliedTwice: number;
  /**
   * For a failure message: a few messages lost or not recorded, with where the read model has them — the query's
   * answer, whether Redis holds the record's key at all, and the lifecycle events EVENTS holds for the message
   * (what the tracker had to fold).
   */
  samples: Array<{
    hubId: string;
    atReceiver: boolean;
    status: string;
    httpStatus: number | string;
    recordKeyInRedis: boolean;
    hops: string[];
    eventsOnStream: string[];
  }>;
}

/** The read model's record of a message, or undefined when it has none (yet) or cannot answer. */
async function readRecord(h: Harness, hubId: string): Promise<MessageLifecycle | undefined> {
  return (await queryRecord(h, hubId)).record;
}

async function queryRecord(
  h: Harness,
  hubId: string,
): Promise<{ record?: MessageLifecycle; httpStatus: number | "network" }> {
  const response = await fetch(`${h.url}/v1/messages/${hubId}`, { headers: OPERATOR }).catch(() => undefined);
  if (response === undefined) return { httpStatus: "network" };
  if (response.status !== 200) {
    await response.arrayBuffer();
    return { httpStatus: response.status };
  }
  return { record: (await response.json()) as MessageLifecycle, httpStatus: 200 };
}

const isDelivered = (record: MessageLifecycle | undefined) =>
  record?.perReceiver.some((r) => r.deliveredAt !== undefined) === true;

/**
 * Waits (up to `timeoutMs`) until the receiver has every accepted message and the read model shows each
 * delivered, then counts what was lost, not recorded, repeated or applied twice. The caller asserts on the
 * figures (and prints them). The default leaves room for a message whose acknowledgement was lost in an election
 * to come back after its consumer's ack wait (30 s), at more than one stage.
 */
export async function verifyNothingLostOrTwice(
  h: Harness,
  traffic: FailoverTraffic,
  timeoutMs = 120_000,
): Promise<FailoverFigures> {
  const receiver = h.receiver(FAILOVER_RECEIVER);
  const deadline = Date.now() + timeoutMs;
  const received = () => new Set(receiver.accepted().map((d) => d.messageId));
  const missing = () => [...traffic.accepted.keys()].filter((id) => !received().has(id));
  while (missing().length > 0 && Date.now() < deadline) await pause(200);

  const records = new Map<string, MessageLifecycle>();
  const unrecorded = new Set(traffic.accepted.values());
  while (unrecorded.size > 0) {
    const hubIds = [...unrecorded];
    for (let i = 0; i < hubIds.length; i += 16) {
      await Promise.all(
        hubIds.slice(i, i + 16).map(async (hubId) => {
          const record = await readRecord(h, hubId);
          if (!isDelivered(record)) return;
          records.set(hubId, record as MessageLifecycle);
          unrecorded.delete(hubId);
        }),
      );
    }
    if (unrecorded.size === 0 || Date.now() > deadline) break;
    await pause(500);
  }

  const perId = new Map<string, number>();
  for (const delivery of receiver.accepted()) {
    if (delivery.messageId !== undefined) perId.set(delivery.messageId, (perId.get(delivery.messageId) ?? 0) + 1);
  }
  let appliedTwice = 0;
  for (const record of records.values()) {
    const eventIds = record.hops.map((hop) => hop.eventId);
    const deliveries = record.hops.filter((hop) => hop.type === "delivered").length;
    if (new Set(eventIds).size !== eventIds.length || deliveries !== 1) appliedTwice++;
  }
  const lost = missing();
  const hubIdOf = (messageId: string) => traffic.accepted.get(messageId) ?? "";
  const suspects = [...new Set([...lost.map(hubIdOf), ...unrecorded])].slice(0, 5);
  const events = suspects.length === 0 ? [] : await h.events();
  const recordKeys = storeKeys(h.namespace);
  const samples = await Promise.all(
    suspects.map(async (hubId) => {
      const { record, httpStatus } = await queryRecord(h, hubId);
      return {
        hubId,
        atReceiver: receiver.accepted().some((d) => d.hubId === hubId),
        status: record?.status ?? "no record",
        httpStatus,
        recordKeyInRedis: (await h.hub.redis.exists(recordKeys.message(hubId))) === 1,
        hops: record?.hops.map((hop) => hop.type) ?? [],
        eventsOnStream: events.filter((event) => event.hubId === hubId).map((event) => event.type),
      };
    }),
  );
  return {
    accepted: traffic.accepted.size,
    lost: lost.length,
    notRecordedDelivered: unrecorded.size,
    repeatedAtReceiver: [...perId.values()].filter((n) => n > 1).length,
    wireDuplicatesCounted: await metricValue("carehub_delivery_possible_duplicates_total", {
      endpoint: FAILOVER_RECEIVER,
    }),
    appliedTwice,
    samples,
  };
}
