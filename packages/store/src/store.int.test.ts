import { randomUUID } from "node:crypto";
import { sharedRedisUrl } from "@carehub/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listEveryPage } from "./bucketed-index.test-support.ts";
import { envelope, event, happyPath } from "./events.test-support.ts";
import { PATIENT_INDEX_HASH_CHARS, patientIndexHash } from "./patient-hash.ts";
import { createStore, type ReadModelStore } from "./store.ts";
import { InvalidCursorError } from "./store-errors.ts";

const REDIS_URL = sharedRedisUrl();
const T0 = Date.now() - 60 * 60_000;
const namespaces: ReadModelStore[] = [];
let redis: Redis;

function newStore(options: { now?: () => number; retentionDays?: number; ackTimeoutMs?: number } = {}): ReadModelStore {
  const store = createStore({
    redis,
    namespace: `t-store-${randomUUID().slice(0, 8)}`,
    retentionDays: options.retentionDays ?? 30,
    patientHashKey: "test-key-test-key-test-key",
    ackTimeoutMs: () => options.ackTimeoutMs,
    staleLimits: { referral: { received: 14 * 86_400_000 } },
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  namespaces.push(store);
  return store;
}

beforeAll(() => {
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
});

afterAll(async () => {
  for (const store of namespaces) await store.dropReadModel();
  await redis.quit();
});

describe("message lifecycle records", () => {
  it("folds the events of a message into status per receiver, hops and links", async () => {
    const store = newStore();
    const events = [
      ...happyPath("h-1", T0, { receivers: ["hosp-1", "lab-1"], acknowledge: false }),
      event("delivery-failed", "h-1", T0 + 15, {
        endpoint: "lab-1",
        attempt: 1,
        error: { code: "CAREHUB_ERR_DELIVERY_HTTP_5XX", message: "503 from endpoint" },
      }),
      event("acknowledged", "h-1", T0 + 500, { endpoint: "hosp-1", code: "ok", ackHubId: "a-1" }),
    ];
    for (const e of events) await store.applyEvent(e);
    const record = await store.getMessage("h-1");
    expect(record).toMatchObject({
      hubId: "h-1",
      messageId: "msg-h-1",
      kind: "care-communication",
      sender: "gp-1",
      receivers: ["hosp-1", "lab-1"],
      status: "delivered",
      receivedAt: new Date(T0).toISOString(),
      contentType: "application/fhir+json",
      size: 2048,
      hopsOmitted: 0,
    });
    expect(record?.perReceiver).toEqual([
      {
        endpoint: "hosp-1",
        status: "acknowledged",
        attempts: 1,
        deliveredAt: new Date(T0 + 20).toISOString(),
        acknowledgedAt: new Date(T0 + 500).toISOString(),
        ackCode: "ok",
        ackHubId: "a-1",
        ackOverdue: false,
      },
      {
        endpoint: "lab-1",
        status: "delivered",
        attempts: 1,
        deliveredAt: new Date(T0 + 21).toISOString(),
        ackOverdue: false,
        lastError: { code: "CAREHUB_ERR_DELIVERY_HTTP_5XX", message: "503 from endpoint" },
      },
    ]);
    expect(record?.hops.map((h) => [h.type, h.endpoint])).toEqual([
      ["received", undefined],
      ["routed", undefined],
      ["delivery-failed", "lab-1"],
      ["delivered", "hosp-1"],
      ["delivered", "lab-1"],
      ["acknowledged", "hosp-1"],
    ]);
    expect(record?.hops[0]?.eventId).toBe("h-1:received");
  });

  it("changes nothing when an event is applied again", async () => {
    const store = newStore();
    const events = happyPath("h-2", T0);
    for (const e of events) await store.applyEvent(e);
    const before = await store.dumpReadModel();
    for (const e of events) expect(await store.applyEvent(e)).toEqual({ changed: false });
    expect(await store.dumpReadModel()).toEqual(before);
  });

  it("ends with the same keys, bytes and expiry whatever order the events arrive in", async () => {
    const inOrder = newStore();
    const shuffled = newStore();
    const events = [
      ...happyPath("h-3", T0, { receivers: ["hosp-1", "lab-1"] }),
      event("delivery-failed", "h-3", T0 + 15, { endpoint: "lab-1", attempt: 1, error: { code: "X", message: "x" } }),
    ];
    for (const e of events) await inOrder.applyEvent(e);
    for (const e of [...events].reverse()) await shuffled.applyEvent(e);
    const strip = (dump: Record<string, unknown>, ns: string) =>
      Object.fromEntries(Object.entries(dump).map(([k, v]) => [k.slice(ns.length), v]));
    expect(strip(await shuffled.dumpReadModel(), shuffled.keys.namespace)).toEqual(
      strip(await inOrder.dumpReadModel(), inOrder.keys.namespace),
    );
  });

  it("keeps every event when writers race on one record", async () => {
    const store = newStore();
    const failures = Array.from({ length: 25 }, (_, i) =>
      event("delivery-failed", "h-4", T0 + i, {
        endpoint: "hosp-1",
        attempt: i + 1,
        error: { code: "E", message: `try ${i}` },
      }),
    );
    await Promise.all(failures.map((e) => store.applyEvent(e)));
    const record = await store.getMessage("h-4");
    expect(record?.hops).toHaveLength(25);
    expect(record?.perReceiver[0]).toMatchObject({ attempts: 25, lastError: { message: "try 24" } });
  });

  it("bounds a long retry history by leaving out the middle, and still recognises a left-out event", async () => {
    const store = newStore();
    const failures = Array.from({ length: 80 }, (_, i) =>
      event("delivery-failed", "h-5", T0 + i, {
        endpoint: "hosp-1",
        attempt: i + 1,
        error: { code: "E", message: "down" },
      }),
    );
    for (const e of failures) await store.applyEvent(e);
    const record = await store.getMessage("h-5");
    expect(record?.hops).toHaveLength(48);
    expect(record?.hopsOmitted).toBe(32);
    expect(record?.hops[11]?.attempt).toBe(12);
    expect(record?.hops[12]?.attempt).toBe(45);
    expect(await store.applyEvent(failures[30] as (typeof failures)[number])).toEqual({ changed: false });
  });

  it("records a rejection, a dead letter and a replay link", async () => {
    const store = newStore();
    await store.applyEvent(
      event("received", "h-6", T0, { sourceEndpoint: "gp-1", contentType: "application/xml", size: 10 }),
    );
    await store.applyEvent(
      event("rejected", "h-6", T0 + 5, {
        stage: "intake",
        issues: [{ code: "CAREHUB_ERR_XML_NOT_WELL_FORMED", path: "/", message: "not XML" }],
      }),
    );
    await store.applyEvent(event("replayed", "h-7", T0 + 100, { originalHubId: "h-6", reason: "operator replay" }));
    await store.applyEvent(
      event("dead-lettered", "h-8", T0, {
        stage: "router",
        reason: { code: "CAREHUB_ERR_ROUTE_NO_RECEIVER", message: "no receiver" },
        attempts: 1,
      }),
    );
    expect(await store.getMessage("h-6")).toMatchObject({
      status: "rejected",
      rejection: { stage: "intake", issues: [{ code: "CAREHUB_ERR_XML_NOT_WELL_FORMED" }] },
      links: { replayedBy: ["h-7"] },
    });
    expect((await store.getMessage("h-7"))?.links.replayOf).toBe("h-6");
    expect(await store.getMessage("h-8")).toMatchObject({
      status: "dead-lettered",
      deadLetter: { stage: "router", code: "CAREHUB_ERR_ROUTE_NO_RECEIVER" },
    });
    expect(await store.getMessage("nope")).toBeUndefined();
    // A replay of a message no longer on record, or a mark on an expired referral, brings nothing back.
    await store.applyEvent(event("replayed", "h-9", T0 + 200, { originalHubId: "gone", reason: "operator replay" }));
    expect(await store.getMessage("gone")).toBeUndefined();
    await store.updateEntity(
      { subject: { type: "referral", originator: "gp-1", id: "gone" }, seenAt: T0, staleMark: "sent@1" },
      { recordEffects: false },
    );
    expect(await store.getEntity({ type: "referral", originator: "gp-1", id: "gone" })).toBeUndefined();
  });
});

describe("listing", () => {
  let store: ReadModelStore;
  const kinds = ["care-communication", "lab-result", "referral"] as const;

  beforeAll(async () => {
    store = newStore();
    for (let i = 0; i < 60; i++) {
      // Pairs of messages share a receive time, to exercise cursor ties.
      const t = T0 + Math.floor(i / 2) * 1_000;
      const hubId = `m-${String(i).padStart(3, "0")}`;
      const events = happyPath(hubId, t, {
        sender: `gp-${i % 3}`,
        receivers: [`hosp-${i % 2}`],
        kind: kinds[i % 3],
        acknowledge: i % 4 !== 0,
      });
      for (const e of events) await store.applyEvent(e);
    }
  });

  it("lists newest first and pages through every message exactly once", async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.listMessages({ limit: 7, ...(cursor === undefined ? {} : { cursor }) });
      seen.push(...page.items.map((m) => m.hubId));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor !== undefined && pages < 50);
    expect(seen).toHaveLength(60);
    expect(new Set(seen).size).toBe(60);
    const times = await Promise.all(seen.map(async (id) => Date.parse((await store.getMessage(id))?.receivedAt ?? "")));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it("filters by sender, receiver, kind and status together", async () => {
    const page = await store.listMessages({
      sender: "gp-0",
      receiver: "hosp-0",
      kind: "care-communication",
      limit: 100,
    });
    // i % 3 === 0 and i % 2 === 0 → i % 6 === 0.
    expect(page.items.map((m) => m.hubId)).toEqual(
      Array.from({ length: 10 }, (_, k) => `m-${String(54 - 6 * k).padStart(3, "0")}`),
    );
    expect(page.nextCursor).toBeNull();
    const delivered = await store.listMessages({ status: "delivered", limit: 100 });
    expect(delivered.items.map((m) => m.hubId).sort()).toEqual(
      Array.from({ length: 15 }, (_, k) => `m-${String(4 * k).padStart(3, "0")}`),
    );
    expect(delivered.items.every((m) => m.status === "delivered")).toBe(true);
  });

  it("bounds by receive time, inclusive", async () => {
    const page = await store.listMessages({
      from: new Date(T0 + 10_000).toISOString(),
      to: new Date(T0 + 12_000).toISOString(),
    });
    expect(page.items.map((m) => m.hubId)).toEqual(["m-025", "m-024", "m-023", "m-022", "m-021", "m-020"]);
  });

  it("refuses a cursor it did not make", async () => {
    await expect(store.listMessages({ cursor: "bm90LWEtY3Vyc29y" })).rejects.toBeInstanceOf(InvalidCursorError);
  });

  it("counts messages per endpoint, role, kind and status", async () => {
    const { items } = await store.statusCounts();
    const count = (endpoint: string, role: string, kind: string, status: string) =>
      items.find((r) => r.endpoint === endpoint && r.role === role && r.kind === kind && r.status === status)?.count;
    // gp-0 sent i ≡ 0 (mod 3) → kind care-communication; unacknowledged when i ≡ 0 (mod 4): i ∈ {0,12,24,36,48}.
    expect(count("gp-0", "sender", "care-communication", "delivered")).toBe(5);
    expect(count("gp-0", "sender", "care-communication", "acknowledged")).toBe(15);
    expect(items.filter((r) => r.role === "receiver").reduce((n, r) => n + r.count, 0)).toBe(60);
  });
});

describe("timers", () => {
  it("arms an ack timer on delivery, claims it once when due, and cancels it on acknowledgement", async () => {
    let now = T0;
    const store = newStore({ now: () => now, ackTimeoutMs: 60_000 });
    const [received, routed, delivered, acknowledged] = happyPath("h-t", T0);
    for (const e of [received, routed, delivered]) if (e !== undefined) await store.applyEvent(e);
    expect(await redis.zrange(store.keys.timers, 0, -1, "WITHSCORES")).toEqual([
      "a|h-t|hosp-1",
      String(T0 + 20 + 60_000),
    ]);
    expect(await store.claimDueTimers()).toEqual([]);
    expect((await store.getMessage("h-t"))?.perReceiver[0]?.ackDueAt).toBe(new Date(T0 + 20 + 60_000).toISOString());
    now = T0 + 61_000;
    const claimed = await store.claimDueTimers({ leaseMs: 5_000 });
    expect(claimed.map((c) => c.timer)).toEqual([{ type: "ack", hubId: "h-t", endpoint: "hosp-1" }]);
    expect(await store.claimDueTimers()).toEqual([]);
    if (acknowledged !== undefined) await store.applyEvent(acknowledged);
    expect(await redis.zcard(store.keys.timers)).toBe(0);
  });

  it("makes a claimed timer due again when its lease runs out unfinished", async () => {
    let now = T0;
    const store = newStore({ now: () => now, ackTimeoutMs: 1_000 });
    for (const e of happyPath("h-u", T0, { acknowledge: false })) await store.applyEvent(e);
    now = T0 + 5_000;
    const [first] = await store.claimDueTimers({ leaseMs: 10_000 });
    expect(first).toBeDefined();
    now = T0 + 16_000;
    const [again] = await store.claimDueTimers({ leaseMs: 10_000 });
    expect(again?.member).toBe(first?.member);
    if (again !== undefined) await store.finishTimer(again);
    expect(await redis.zcard(store.keys.timers)).toBe(0);
  });

  it("flags ack-overdue from the event and lists it under that status", async () => {
    const store = newStore({ ackTimeoutMs: 1_000 });
    for (const e of happyPath("h-o", T0, { acknowledge: false })) await store.applyEvent(e);
    await store.applyEvent(
      event("ack-overdue", "h-o", T0 + 2_000, { endpoint: "hosp-1", dueAt: new Date(T0 + 1_020).toISOString() }),
    );
    expect(await store.getMessage("h-o")).toMatchObject({ ackOverdue: true, perReceiver: [{ ackOverdue: true }] });
    expect((await store.listMessages({ status: "ack-overdue" })).items.map((m) => m.hubId)).toEqual(["h-o"]);
    expect(await redis.zcard(store.keys.timers)).toBe(0);
    await store.applyEvent(event("acknowledged", "h-o", T0 + 3_000, { endpoint: "hosp-1", code: "ok" }));
    expect((await store.getMessage("h-o"))?.ackOverdue).toBe(false);
    expect((await store.listMessages({ status: "ack-overdue" })).items).toEqual([]);
  });

  it("arms a stale timer for a referral left at received, and drops it when the referral moves on", async () => {
    const store = newStore();
    const subject = { type: "referral" as const, originator: "gp-1", id: "ref-1" };
    await store.updateEntity(
      { subject, seenAt: T0, fact: { status: "received", occurredAt: T0, sources: ["s-1"], knownBy: [], by: [] } },
      { recordEffects: false },
    );
    expect(await redis.zrange(store.keys.timers, 0, -1, "WITHSCORES")).toEqual([
      "s|referral|gp-1|ref-1",
      String(T0 + 14 * 86_400_000),
    ]);
    await store.updateEntity(
      { subject, seenAt: T0, fact: { status: "booked", occurredAt: T0 + 1, sources: ["s-2"], knownBy: [], by: [] } },
      { recordEffects: false },
    );
    expect(await redis.zcard(store.keys.timers)).toBe(0);
    expect((await store.getEntity({ type: "referral", originator: "gp-1", id: "ref-1" }))?.status).toBe("booked");
  });
});

describe("patients and retention", () => {
  it("finds a patient's messages by keyed hash and never stores the CPR number", async () => {
    const store = newStore();
    const cpr = "0101901234";
    await store.applyEnvelope(envelope("p-1", T0, { patient: { system: "cpr", value: "010190-1234" } }));
    await store.applyEnvelope(envelope("p-2", T0 + 1_000, { patient: { system: "cpr", value: cpr } }));
    await store.applyEnvelope(envelope("p-3", T0 + 2_000, { patient: { system: "cpr", value: "0202021234" } }));
    expect((await store.findByPatient(cpr)).map((m) => m.hubId)).toEqual(["p-2", "p-1"]);
    const dump = JSON.stringify(await store.dumpReadModel());
    expect(dump).not.toContain("010190");
    expect(dump).not.toContain("0101901234");
  });

  it("removes expired messages with their index entries and counts", async () => {
    let now = T0;
    const store = newStore({ now: () => now, retentionDays: 1 });
    for (const e of happyPath("old", T0 - 10_000)) await store.applyEvent(e);
    for (const e of happyPath("new", T0 + 3_600_000)) await store.applyEvent(e);
    now = T0 + 86_400_000 + 1;
    expect(await store.sweepExpired()).toBe(1);
    expect(await store.getMessage("old")).toBeUndefined();
    expect((await store.listMessages({})).items.map((m) => m.hubId)).toEqual(["new"]);
    expect((await store.statusCounts()).items.every((r) => r.count === 1)).toBe(true);
    const dump = JSON.stringify(await store.dumpReadModel());
    expect(dump).not.toContain('"old"');
    expect(await redis.pexpiretime(store.keys.message("new"))).toBe(T0 + 3_600_000 + 2 * 86_400_000);
  });
});

/*
 * A patient's message index and the record's patient hash in the short form of docs/decisions/0104 (the hash's
 * first 22 characters), and messages stored before it — filed under the whole hash — still found, listed, filtered
 * and swept with no migration step.
 */

const CPR = "0101901234";

async function storeMessage(store: ReadModelStore, hubId: string, at: number, sender: string, cpr = CPR) {
  await store.applyEnvelope(envelope(hubId, at, { sourceEndpoint: sender, patient: { system: "cpr", value: cpr } }));
  await store.applyEvents(happyPath(hubId, at, { sender }));
}

/** Files a stored message as a release before 0104 did: its record and its patient index entry under the whole hash. */
async function toFormerPatientForm(store: ReadModelStore, hubId: string): Promise<void> {
  const whole = store.patientHash(CPR);
  const key = store.keys.message(hubId);
  const record = JSON.parse((await redis.get(key)) as string) as { ph: string };
  expect(record.ph).toBe(patientIndexHash(whole));
  await redis.set(key, JSON.stringify({ ...record, ph: whole }), "KEEPTTL");
  const short = store.keys.byPatient(patientIndexHash(whole));
  const raw = await redis.zrange(short, 0, -1, "WITHSCORES");
  await redis.del(short);
  await redis.zadd(store.keys.byPatient(whole), ...raw.reverse());
}

describe("patient index (0104)", () => {
  // Catches: the record or the index keeping the whole 43-character hash again (the bytes 0104 saves), or the two
  // disagreeing (a message its patient's lookup does not find).
  it("files a patient's message and its record under the hash's first 22 characters", async () => {
    const store = newStore();
    const hubId = randomUUID();
    await storeMessage(store, hubId, T0, "gp-1");
    const whole = store.patientHash(CPR);
    expect(whole.length).toBeGreaterThan(PATIENT_INDEX_HASH_CHARS);
    const record = JSON.parse((await redis.get(store.keys.message(hubId))) as string) as { ph: string };
    expect(record.ph).toBe(whole.slice(0, PATIENT_INDEX_HASH_CHARS));
    expect(await redis.exists(store.keys.byPatient(whole))).toBe(0);
    expect(await redis.zcard(store.keys.byPatient(record.ph))).toBe(1);
    expect((await store.findByPatient(CPR)).map((m) => m.hubId)).toEqual([hubId]);
  });

  // Catches: an upgrade after which a patient's messages stored before it are no longer found (only the short
  // index read), listed twice or out of order across the two forms, filtered wrongly, or left in the former index
  // after their retention (a status change or the sweep re-filing them under the short form, or forgetting them).
  it("finds, lists, filters and sweeps a patient's messages stored in the former form with the newer ones", async () => {
    let now = T0 + 60_000;
    const store = newStore({ now: () => now });
    const [former, newer, other] = [randomUUID(), randomUUID(), randomUUID()];
    await storeMessage(store, former, T0, "gp-1");
    await toFormerPatientForm(store, former);
    await storeMessage(store, newer, T0 + 1_000, "gp-2");
    await storeMessage(store, other, T0 + 2_000, "gp-1", "0202021234");

    expect((await store.findByPatient(CPR)).map((m) => m.hubId)).toEqual([newer, former]);
    expect((await store.findByPatient(CPR, { limit: 1 })).map((m) => m.hubId)).toEqual([newer]);
    expect(await listEveryPage(store, { patient: CPR }, 1)).toEqual([newer, former]);
    expect(await listEveryPage(store, { patient: CPR, sender: "gp-1" }, 1)).toEqual([former]);
    expect(await listEveryPage(store, { patient: CPR, sender: "gp-2", status: "acknowledged" }, 1)).toEqual([newer]);
    expect(await listEveryPage(store, { patient: CPR, from: T0 + 500 }, 1)).toEqual([newer]);

    // A later write of the former record keeps it where it was filed.
    await store.applyEnvelope(envelope(former, T0, { sourceEndpoint: "gp-1", patient: { system: "cpr", value: CPR } }));
    const whole = store.patientHash(CPR);
    expect(await redis.zcard(store.keys.byPatient(whole))).toBe(1);
    expect(await redis.zcard(store.keys.byPatient(patientIndexHash(whole)))).toBe(1);

    now = T0 + 31 * 86_400_000;
    expect(await store.sweepExpired()).toBe(3);
    expect(await redis.exists(store.keys.byPatient(whole), store.keys.byPatient(patientIndexHash(whole)))).toBe(0);
    expect(await store.findByPatient(CPR)).toEqual([]);
  });
});
