import { randomUUID } from "node:crypto";
import { sharedRedisUrl } from "@carehub/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scratchStore } from "./bucketed-index.test-support.ts";
import { envelope, happyPath } from "./events.test-support.ts";
import { PATIENT_INDEX_HASH_CHARS, patientIndexHash } from "./patient-hash.ts";
import type { ReadModelStore } from "./store.ts";

/*
 * A patient's message index and the record's patient hash in the short form of docs/decisions/0104 (the hash's
 * first 22 characters), and messages stored before it — filed under the whole hash — still found, listed, filtered
 * and swept with no migration step.
 */

const T0 = Date.now() - 60 * 60_000;
const CPR = "0101901234";
const stores: ReadModelStore[] = [];
let redis: Redis;

beforeAll(() => {
  redis = new Redis(sharedRedisUrl(), { maxRetriesPerRequest: 2 });
});

afterAll(async () => {
  for (const store of stores) await store.dropReadModel();
  await redis.quit();
});

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

async function listedIds(store: ReadModelStore, query: Parameters<ReadModelStore["listMessages"]>[0]) {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listMessages({ ...query, limit: 1, ...(cursor === undefined ? {} : { cursor }) });
    ids.push(...page.items.map((m) => m.hubId));
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return ids;
}

describe("patient index (0104)", () => {
  // Catches: the record or the index keeping the whole 43-character hash again (the bytes 0104 saves), or the two
  // disagreeing (a message its patient's lookup does not find).
  it("files a patient's message and its record under the hash's first 22 characters", async () => {
    const store = scratchStore(redis, "t-patient", stores);
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
    const store = scratchStore(redis, "t-patient", stores, () => now);
    const [former, newer, other] = [randomUUID(), randomUUID(), randomUUID()];
    await storeMessage(store, former, T0, "gp-1");
    await toFormerPatientForm(store, former);
    await storeMessage(store, newer, T0 + 1_000, "gp-2");
    await storeMessage(store, other, T0 + 2_000, "gp-1", "0202021234");

    expect((await store.findByPatient(CPR)).map((m) => m.hubId)).toEqual([newer, former]);
    expect((await store.findByPatient(CPR, { limit: 1 })).map((m) => m.hubId)).toEqual([newer]);
    expect(await listedIds(store, { patient: CPR })).toEqual([newer, former]);
    expect(await listedIds(store, { patient: CPR, sender: "gp-1" })).toEqual([former]);
    expect(await listedIds(store, { patient: CPR, sender: "gp-2", status: "acknowledged" })).toEqual([newer]);
    expect(await listedIds(store, { patient: CPR, from: T0 + 500 })).toEqual([newer]);

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
