import type { BusinessStatus } from "@carehub/schemas";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeEntity } from "./entity-codec.ts";
import type { StatusFact } from "./entity-fold.ts";
import { applyEntityUpdate, type EntityState, type PendingEffect, toBusinessEntity } from "./entity-state.ts";
import { machineFor, type StateMachine, type SubjectType, statusRank } from "./state-machines.ts";

/*
 * Convergence: whatever order the facts of a history arrive in, and however often each arrives, the entity
 * ends in the same state as when they arrive in time order: the same status, the same history with the same
 * outcome for every fact, byte for byte the same stored record (apart from the outbox and the record of
 * returns sent, which say what was announced when, and so depend on arrival by design).
 */

const SUBJECT_TYPES: SubjectType[] = ["referral", "task", "appointment"];

function validStatuses(machine: StateMachine, choices: readonly number[]): BusinessStatus[] {
  const start = machine.creation ?? (machine.statuses[0] as BusinessStatus);
  const out: BusinessStatus[] = [start];
  let current = start;
  for (const choice of choices) {
    const allowed = machine.next[current] ?? [];
    if (allowed.length === 0) break;
    current = allowed[choice % allowed.length] as BusinessStatus;
    out.push(current);
  }
  return out;
}

/**
 * The facts of a valid history, a minute apart, except that a step forward in the machine's natural order is
 * stamped with the same instant as the fact before it when `ties` says so (they do, half of the time): two
 * statuses reported in the same second must still fold as the step they are, however they arrive.
 */
function toFacts(machine: StateMachine, statuses: readonly BusinessStatus[], ties: readonly boolean[]): StatusFact[] {
  let occurredAt = 1_700_000_000_000;
  return statuses.map((status, i) => {
    const previous = statuses[i - 1];
    const forward = previous !== undefined && statusRank(machine, status) > statusRank(machine, previous);
    if (i > 0 && !(forward && ties[i % ties.length] === true)) occurredAt += 60_000;
    return { status, occurredAt, sources: [`hub-${String(i).padStart(3, "0")}`], knownBy: [], by: [] };
  });
}

const tiesArb = fc.array(fc.boolean(), { minLength: 1, maxLength: 40 });

interface Outcome {
  state: EntityState;
  effects: PendingEffect[];
}

function arrive(type: SubjectType, facts: readonly StatusFact[], order: readonly number[]): Outcome {
  let state: EntityState | undefined;
  const effects: PendingEffect[] = [];
  for (const index of order) {
    const fact = facts[index] as StatusFact;
    const before = state?.pending.length ?? 0;
    state = applyEntityUpdate(
      state,
      { subject: { type, originator: "gp-1", id: "x-1" }, seenAt: fact.occurredAt, fact },
      { recordEffects: true },
    ).state;
    effects.push(...state.pending.slice(before));
    state = { ...state, pending: [] };
  }
  if (state === undefined) throw new Error("no facts");
  return { state, effects };
}

/** The converged part of an entity: everything except what was announced when. */
function converged(state: EntityState) {
  return { view: toBusinessEntity(state), stored: encodeEntity({ ...state, pending: [], returned: [] }) };
}

function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  const out: number[][] = [];
  for (const rest of permutations(n - 1)) {
    for (let i = 0; i <= rest.length; i++) out.push([...rest.slice(0, i), n - 1, ...rest.slice(i)]);
  }
  return out;
}

function shuffle(order: number[], randoms: readonly number[]): number[] {
  const out = [...order];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor((randoms[i % randoms.length] ?? 0) * (i + 1));
    [out[i], out[j]] = [out[j] as number, out[i] as number];
  }
  return out;
}

const subjectType = fc.constantFrom(...SUBJECT_TYPES);

describe("business state converges whatever the arrival order", () => {
  it("short valid histories: every permutation, with duplicates, ends as the in-order state", () => {
    fc.assert(
      fc.property(
        subjectType,
        fc.array(fc.nat(), { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 3 }),
        tiesArb,
        (type, choices, duplicates, ties) => {
          const machine = machineFor(type);
          const facts = toFacts(machine, validStatuses(machine, choices), ties);
          const inOrder = arrive(
            type,
            facts,
            facts.map((_, i) => i),
          );
          expect(inOrder.state.facts.length).toBe(facts.length);
          expect(toBusinessEntity(inOrder.state).history.every((h) => h.outcome !== "refused")).toBe(true);
          const expected = converged(inOrder.state);
          for (const order of permutations(facts.length)) {
            const withRepeats = [...order];
            for (const d of duplicates)
              withRepeats.splice(d % (withRepeats.length + 1), 0, order[d % order.length] as number);
            expect(converged(arrive(type, facts, withRepeats).state)).toEqual(expected);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it("long valid histories: random reorderings and duplications end as the in-order state", () => {
    fc.assert(
      fc.property(
        subjectType,
        fc.array(fc.nat(), { minLength: 6, maxLength: 40 }),
        fc.array(fc.double({ min: 0, max: 0.999_999, noNaN: true }), { minLength: 1, maxLength: 50 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        tiesArb,
        (type, choices, randoms, duplicates, ties) => {
          const machine = machineFor(type);
          const facts = toFacts(machine, validStatuses(machine, choices), ties);
          const inOrder = arrive(
            type,
            facts,
            facts.map((_, i) => i),
          ).state;
          expect(toBusinessEntity(inOrder).history.every((h) => h.outcome !== "refused")).toBe(true);
          const expected = converged(inOrder);
          const order = shuffle(
            facts.map((_, i) => i),
            randoms,
          );
          for (const d of duplicates) order.splice(d % (order.length + 1), 0, d % facts.length);
          expect(converged(arrive(type, facts, order).state)).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("an invalid transition is refused in the final state whatever the order, and reported at least once", () => {
    fc.assert(
      fc.property(
        subjectType,
        fc.array(fc.nat(), { minLength: 1, maxLength: 7 }),
        fc.nat(),
        fc.nat(),
        fc.array(fc.double({ min: 0, max: 0.999_999, noNaN: true }), { minLength: 1, maxLength: 10 }),
        (type, choices, at, pick, randoms) => {
          const machine = machineFor(type);
          const statuses = validStatuses(machine, choices);
          const position = at % statuses.length;
          const before = statuses[position] as BusinessStatus;
          const allowed = machine.next[before] ?? [];
          const invalid = machine.statuses.filter(
            (s) => s !== before && !allowed.includes(s) && s !== machine.creation,
          );
          fc.pre(invalid.length > 0);
          const bad = invalid[pick % invalid.length] as BusinessStatus;
          // No ties here: the bad fact is stamped between `before` and the fact after it.
          const facts = toFacts(machine, statuses, [false]);
          const base = facts[position] as StatusFact;
          facts.push({ status: bad, occurredAt: base.occurredAt + 30_000, sources: ["hub-bad"], knownBy: [], by: [] });
          const inOrder = arrive(
            type,
            facts,
            [...facts.keys()].sort((a, b) => (facts[a]?.occurredAt ?? 0) - (facts[b]?.occurredAt ?? 0)),
          );
          const refused = toBusinessEntity(inOrder.state).history.filter((h) => h.outcome === "refused");
          expect(refused.map((h) => h.sources)).toEqual([["hub-bad"]]);
          expect(refused[0]?.reason).toMatch(
            new RegExp(`^(a ${type} cannot go from ${before} to ${bad}|${before} is final)`),
          );
          const shuffled = arrive(type, facts, shuffle([...facts.keys()], randoms));
          expect(converged(shuffled.state)).toEqual(converged(inOrder.state));
          const reported = shuffled.effects.filter((e) => e.type === "transition-refused").map((e) => e.cause);
          expect(reported).toContain("hub-bad");
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("effects of one update", () => {
  const subject = { type: "referral" as const, originator: "gp-1", id: "r-1" };
  const fact = (status: BusinessStatus, minute: number, source: string, knownBy: string[] = []): StatusFact => ({
    status,
    occurredAt: minute * 60_000,
    sources: [source],
    knownBy,
    by: [knownBy[0] ?? "gp-1"],
  });

  it("announces a change once, under an id made of the causing message and the subject", () => {
    const created = applyEntityUpdate(
      undefined,
      { subject, seenAt: 0, fact: fact("sent", 1, "h1"), creation: { endpoint: "gp-1", counterparts: ["hosp-1"] } },
      { recordEffects: true },
    ).state;
    const booked = applyEntityUpdate(
      created,
      { subject, seenAt: 0, fact: fact("booked", 2, "h2", ["hosp-1"]) },
      { recordEffects: true },
    );
    expect(booked.state.pending.filter((e) => e.type === "status-changed")).toEqual([
      expect.objectContaining({ id: "h1:status-changed:referral:gp-1:r-1", from: null, to: "sent" }),
      expect.objectContaining({ id: "h2:status-changed:referral:gp-1:r-1", from: "sent", to: "booked" }),
    ]);
    const again = applyEntityUpdate(
      booked.state,
      { subject, seenAt: 0, fact: fact("booked", 2, "h2", ["hosp-1"]) },
      { recordEffects: true },
    );
    expect(again.changed).toBe(false);
  });

  it("returns a status to the originator only when the reporting message did not already reach it", () => {
    const created = applyEntityUpdate(
      undefined,
      { subject, seenAt: 0, fact: fact("sent", 1, "h1"), creation: { endpoint: "gp-1", counterparts: ["hosp-1"] } },
      { recordEffects: true },
    ).state;
    expect(created.pending.some((e) => e.type === "status-return")).toBe(false);
    const addressedToGp = applyEntityUpdate(
      created,
      { subject, seenAt: 0, fact: fact("booked", 2, "h2", ["hosp-1", "gp-1"]) },
      { recordEffects: true },
    ).state;
    expect(addressedToGp.pending.some((e) => e.type === "status-return")).toBe(false);
    const elsewhere = applyEntityUpdate(
      addressedToGp,
      { subject, seenAt: 0, fact: fact("completed", 3, "h3", ["hosp-1"]) },
      { recordEffects: true },
    ).state;
    expect(elsewhere.pending.filter((e) => e.type === "status-return")).toEqual([
      expect.objectContaining({
        id: "return:referral:gp-1:r-1:completed@180000",
        originator: "gp-1",
        status: "completed",
      }),
    ]);
    expect(elsewhere.returned).toContain("completed@180000");
  });

  it("returns the current status once the originator becomes known, not the states it missed", () => {
    let state = applyEntityUpdate(
      undefined,
      { subject, seenAt: 0, fact: fact("booked", 2, "h2", ["hosp-1"]) },
      { recordEffects: true },
    ).state;
    state = applyEntityUpdate(
      state,
      { subject, seenAt: 0, fact: fact("completed", 3, "h3", ["hosp-1"]) },
      { recordEffects: true },
    ).state;
    expect(state.pending.some((e) => e.type === "status-return")).toBe(false);
    state = applyEntityUpdate(
      state,
      { subject, seenAt: 0, fact: fact("sent", 1, "h1"), creation: { endpoint: "gp-1", counterparts: ["hosp-1"] } },
      { recordEffects: true },
    ).state;
    expect(state.pending.filter((e) => e.type === "status-return").map((e) => e.status)).toEqual(["completed"]);
  });

  it("records nothing to announce while rebuilding, but keeps the same returns record", () => {
    const created = applyEntityUpdate(
      undefined,
      { subject, seenAt: 0, fact: fact("sent", 1, "h1"), creation: { endpoint: "gp-1", counterparts: ["hosp-1"] } },
      { recordEffects: false },
    ).state;
    const done = applyEntityUpdate(
      created,
      { subject, seenAt: 0, fact: fact("booked", 3, "h3", ["hosp-1"]) },
      { recordEffects: false },
    ).state;
    expect(done.pending).toEqual([]);
    expect(done.returned).toEqual(["booked@180000"]);
  });
});
