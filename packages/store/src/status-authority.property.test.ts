import type { BusinessStatus } from "@carehub/schemas";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeEntity } from "./entity-codec.ts";
import type { EntityReader } from "./entity-reader.ts";
import { applyEntityUpdate, type EntityState, type SubjectRef, subjectKey, toBusinessEntity } from "./entity-state.ts";
import { REFERRAL_MACHINE } from "./state-machines.ts";
import { resolveStatusSubject } from "./status-subject.ts";

/*
 * Random sequences of facts from random endpoints, legitimate and not, through the same two steps the tracker
 * takes for each message (status-subject.ts: which originator's referral; applyEntityUpdate: the fold with the
 * status-authority rule), over an in-memory read model:
 * - no fact from an endpoint without a part changes any referral: every referral the hub saw created ends with
 *   the same status, time, parties and appointment as when the strangers' messages are left out;
 * - the live model (effects recorded and cleared as the tracker does) equals a rebuild from scratch (no
 *   effects), record for record.
 * Two practices use the same ids, so the sequences also cover identity scoped by originator.
 */

const PRACTICES = ["practice-a", "practice-b"] as const;
const RECEIVERS = ["hospital-h", "hospital-k", "municipality-m"] as const;
const STRANGER = "stranger-x";
const IDS = ["ref-0001", "ref-0002"] as const;
const T0 = 1_760_000_000_000;

type Message =
  | { kind: "referral"; hubId: string; from: string; id: string; to: string[]; at: number }
  | { kind: "status"; hubId: string; from: string; to: string; id: string; status: BusinessStatus; at: number };

/** Who may say what, written out independently of status-authority.ts (the spec the rule must meet). */
function isLegitimate(message: Message, creations: readonly Message[]): boolean {
  if (message.kind === "referral") return true;
  const created = creations.filter((c) => c.kind === "referral" && c.id === message.id);
  return created.some(
    (c) =>
      c.kind === "referral" &&
      ((c.to.includes(message.from) && c.from !== message.from && message.status !== "sent") ||
        (c.from === message.from && ["sent", "cancelled", "deleted"].includes(message.status))),
  );
}

class MemoryModel implements EntityReader {
  readonly entities = new Map<string, EntityState>();

  async getEntityState(subject: SubjectRef): Promise<EntityState | undefined> {
    return this.entities.get(subjectKey(subject));
  }

  async originatorsOf(type: SubjectRef["type"], id: string): Promise<string[]> {
    return [...this.entities.values()].filter((e) => e.type === type && e.id === id).map((e) => e.originator);
  }

  async fold(message: Message, live: boolean): Promise<void> {
    const seenAt = message.at;
    if (message.kind === "referral") {
      const subject = { type: "referral" as const, originator: message.from, id: message.id };
      const by = [message.from];
      this.apply(subject, live, {
        seenAt,
        creation: { endpoint: message.from, counterparts: [...message.to].sort() },
        fact: { status: "sent", occurredAt: message.at, sources: [message.hubId], knownBy: [], by },
      });
      return;
    }
    const { subject } = await resolveStatusSubject(this, {
      subject: { type: "referral", id: message.id },
      sender: message.from,
      addressee: message.to,
    });
    const knownBy = [...new Set([message.from, message.to])].sort();
    this.apply(subject, live, {
      seenAt,
      fact: { status: message.status, occurredAt: message.at, sources: [message.hubId], knownBy, by: [message.from] },
    });
  }

  private apply(subject: SubjectRef, live: boolean, update: Omit<Parameters<typeof applyEntityUpdate>[1], "subject">) {
    const key = subjectKey(subject);
    const { state } = applyEntityUpdate(this.entities.get(key), { subject, ...update }, { recordEffects: live });
    // The tracker carries out and clears what the live fold left in the outbox.
    this.entities.set(key, { ...state, pending: [] });
  }
}

async function run(messages: readonly Message[], live: boolean): Promise<MemoryModel> {
  const model = new MemoryModel();
  for (const message of messages) await model.fold(message, live);
  return model;
}

/** What a referral the hub saw created shows: status, time, parties, appointment. */
function matchedViews(model: MemoryModel) {
  const views: Record<string, unknown> = {};
  for (const [key, state] of model.entities) {
    if (!state.matched) continue;
    const view = toBusinessEntity(state);
    views[key] = [view.status, view.since, view.originator, view.counterparts, view.appointment];
  }
  return views;
}

const endpoint = fc.constantFrom<string>(...PRACTICES, ...RECEIVERS, STRANGER);
const status = fc.constantFrom<BusinessStatus>(...REFERRAL_MACHINE.statuses);
const messageArb = fc.oneof(
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("referral" as const),
      from: fc.constantFrom<string>(...PRACTICES),
      id: fc.constantFrom<string>(...IDS),
      to: fc.uniqueArray(fc.constantFrom<string>(...RECEIVERS), { minLength: 1, maxLength: 2 }),
      minute: fc.integer({ min: 0, max: 20 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("status" as const),
      from: endpoint,
      to: endpoint,
      id: fc.constantFrom<string>(...IDS),
      status,
      minute: fc.integer({ min: 0, max: 20 }),
    }),
  },
);
const sequenceArb = fc.array(messageArb, { minLength: 1, maxLength: 30 }).map((drawn) =>
  drawn.map((m, i): Message => {
    const { minute, ...rest } = m;
    return { ...rest, hubId: `h-${String(i).padStart(3, "0")}`, at: T0 + minute * 60_000 } as Message;
  }),
);

describe("status authority over random sequences of facts from random endpoints", () => {
  it("no fact from an endpoint without a part changes a referral the hub saw created", async () => {
    await fc.assert(
      fc.asyncProperty(sequenceArb, async (messages) => {
        const creations = messages.filter((m) => m.kind === "referral");
        const legitimate = messages.filter((m) => isLegitimate(m, creations));
        const all = await run(messages, true);
        const withoutStrangers = await run(legitimate, true);
        expect(matchedViews(all)).toEqual(matchedViews(withoutStrangers));
      }),
      { numRuns: 400 },
    );
  });

  it("the live read model equals a rebuild from scratch", async () => {
    await fc.assert(
      fc.asyncProperty(sequenceArb, async (messages) => {
        const live = await run(messages, true);
        const rebuilt = await run(messages, false);
        const encode = (model: MemoryModel) =>
          Object.fromEntries([...model.entities].map(([key, state]) => [key, encodeEntity(state)]));
        expect(encode(rebuilt)).toEqual(encode(live));
      }),
      { numRuns: 200 },
    );
  });

  it("keeps two practices' referrals under the same id apart", async () => {
    const messages: Message[] = [
      { kind: "referral", hubId: "h-1", from: "practice-a", id: "ref-0001", to: ["hospital-h"], at: T0 },
      { kind: "referral", hubId: "h-2", from: "practice-b", id: "ref-0001", to: ["municipality-m"], at: T0 },
      {
        kind: "status",
        hubId: "h-3",
        from: "municipality-m",
        to: "practice-b",
        id: "ref-0001",
        status: "booked",
        at: T0 + 60_000,
      },
    ];
    const model = await run(messages, true);
    const a = model.entities.get("referral:practice-a:ref-0001");
    const b = model.entities.get("referral:practice-b:ref-0001");
    expect(a === undefined ? undefined : toBusinessEntity(a).status).toBe("sent");
    expect(b === undefined ? undefined : toBusinessEntity(b)).toMatchObject({
      status: "booked",
      originator: "practice-b",
      counterparts: ["municipality-m"],
    });
  });
});
