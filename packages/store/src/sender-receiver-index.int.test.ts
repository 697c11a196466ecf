import type { LifecycleEvent } from "@carehub/schemas";
import { type RedisServerHandle, startRedisServer } from "@carehub/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { indexEntries } from "./bucketed-index.ts";
import { happyPath } from "./events.test-support.ts";
import { applyEvent, listingTime, type MessageState } from "./message-state.ts";
import { createStore } from "./store.ts";

/*
 * The listing filtered by sender and receiver reads one index (idx:pair:<sender>:<receiver>, written with the
 * message) instead of intersecting the sender's and the receiver's (bench:search, docs/performance.md). Its answers
 * must be those of a scan of every record: checked here against a filter over all the messages written, page by
 * page, newest first, with same-millisecond ties, messages to several receivers, and a third filter on top.
 */

const SENDERS = ["gp-1", "gp-2", "gp-3"];
const RECEIVERS = ["hosp-1", "hosp-2", "kommune-1"];
const KINDS = ["care-communication", "referral"] as const;
const T0 = Date.parse("2026-11-01T00:00:00Z");

let server: RedisServerHandle;
let redis: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url, { maxRetriesPerRequest: 2 });
});

afterAll(async () => {
  await redis.quit();
  await server.stop();
});

/** Each message's lifecycle events (written through the store's live path) and their fold (the expectation). */
function messages(): { events: LifecycleEvent[]; state: MessageState }[] {
  const out: { events: LifecycleEvent[]; state: MessageState }[] = [];
  for (let i = 0; i < 300; i++) {
    const sender = SENDERS[i % SENDERS.length] as string;
    // Some messages go to two receivers; the time repeats every few messages (ties are ordered by hub id).
    const receivers = i % 5 === 0 ? ["hosp-1", "kommune-1"] : [RECEIVERS[(i * 7) % RECEIVERS.length] as string];
    const hubId = `m-${String((i * 37) % 1000).padStart(4, "0")}`;
    const events = happyPath(hubId, T0 + Math.floor(i / 3) * 1_000, {
      sender,
      receivers,
      kind: KINDS[i % KINDS.length],
    });
    let state: MessageState | undefined;
    for (const e of events) state = applyEvent(state, e);
    out.push({ events, state: state as MessageState });
  }
  return out;
}

describe("the sender + receiver index", () => {
  // Catches: the pair index not written for every receiver (or not at all), the listing still intersecting or
  // reading the wrong pair, a wrong order or a lost tie across a cursor.
  it("answers every sender + receiver listing as a scan of all the records does, page by page", async () => {
    const store = createStore({ redis, namespace: "t-pair", retentionDays: 365, patientHashKey: "k" });
    const written = messages();
    for (const { events } of written) await store.applyEvents(events);
    const all = written.map((m) => m.state);
    const newestFirst = (a: MessageState, b: MessageState) =>
      listingTime(b) - listingTime(a) || (a.hubId < b.hubId ? 1 : a.hubId > b.hubId ? -1 : 0);
    let compared = 0;
    for (const sender of SENDERS) {
      for (const receiver of RECEIVERS) {
        for (const kind of [undefined, "referral" as const]) {
          const expected = all
            .filter((s) => s.sender === sender && receiver in s.receivers && (kind === undefined || s.kind === kind))
            .sort(newestFirst)
            .map((s) => s.hubId);
          const got: string[] = [];
          let cursor: string | undefined;
          do {
            const page = await store.listMessages({
              sender,
              receiver,
              ...(kind === undefined ? {} : { kind }),
              limit: 7,
              ...(cursor === undefined ? {} : { cursor }),
            });
            got.push(...page.items.map((m) => m.hubId));
            cursor = page.nextCursor ?? undefined;
          } while (cursor !== undefined);
          expect(got, `${sender} → ${receiver}${kind === undefined ? "" : ` (${kind})`}`).toEqual(expected);
          compared += expected.length;
        }
      }
    }
    expect(compared).toBeGreaterThan(300);
    // The index is what answers: it holds exactly the sender's messages to that receiver.
    const pair = (await indexEntries(redis, store.keys.bySenderReceiver("gp-1", "kommune-1"))).map((p) => p.member);
    expect(pair.sort()).toEqual(
      all
        .filter((s) => s.sender === "gp-1" && "kommune-1" in s.receivers)
        .map((s) => s.hubId)
        .sort(),
    );
  });
});
