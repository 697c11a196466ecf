import { type Bus, connectBus } from "@carehub/bus";
import type { Envelope } from "@carehub/schemas";
import { cleanupNamespace, sharedNatsUrl, sharedRedisUrl, testNamespace } from "@carehub/testkit";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { type RunningTracker, startTracker, TRACKER_CONSUMERS } from "./start-tracker.ts";
import {
  envelopeOf,
  GP,
  HOSPITAL,
  MUNICIPALITY,
  referral,
  statusUpdate,
  trackerRegistry,
} from "./tracker-fixtures.test-support.ts";

/*
 * The tracker's status consumer in a backlog (docs/decisions/0113): PIPELINE holds envelopes before the tracker
 * starts, as after an outage or in a catch-up. The envelopes without business status are folded many at a time
 * (with the events' batches); the envelopes that carry business facts still one at a time, in the stream's order.
 */

const config = (namespace: string) => ({
  namespace,
  retentionDays: 30,
  patientHashKey: "tracker-test-key-0123456789",
});
const T0 = Date.now() - 10 * 60_000;
const lab = { kind: "lab-result" as const, letterType: "XRPT01", consentGiven: null, corrected: false, results: [] };
const labResult = (hubId: string, at: number): Envelope => envelopeOf(hubId, HOSPITAL, GP, lab, at);

let bus: Bus | undefined;
let redis: Redis | undefined;
let tracker: RunningTracker | undefined;
let namespace = "";

afterEach(async () => {
  await tracker?.stop();
  if (bus !== undefined && redis !== undefined) await cleanupNamespace({ namespace, bus, redis });
  await bus?.drain();
  await redis?.quit();
  tracker = undefined;
  bus = undefined;
  redis = undefined;
});

async function backlog(name: string, envelopes: readonly Envelope[]): Promise<{ bus: Bus; redis: Redis }> {
  namespace = testNamespace(name);
  bus = await connectBus({ servers: sharedNatsUrl(), name: `tracker-pace-${name}`, namespace });
  await bus.provision();
  for (const envelope of envelopes) {
    await bus.publishJson(bus.topology.subjects.pipeline(envelope.kind), envelope, { msgId: envelope.hubId });
  }
  redis = new Redis(sharedRedisUrl());
  return { bus, redis };
}

/** Starts the tracker on the backlog and waits until its status consumer has folded and acked all of it. */
async function startAndDrain(setup: { bus: Bus; redis: Redis }): Promise<RunningTracker> {
  const started = await startTracker({ ...setup, registry: trackerRegistry(), config: config(namespace) });
  await drained(setup.bus);
  return started;
}

async function drained(on: Bus): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const info = await on.jsm.consumers.info(on.topology.streams.pipeline, TRACKER_CONSUMERS.pipeline);
    if (info.num_pending === 0 && info.num_ack_pending === 0) return;
    if (Date.now() > deadline) throw new Error("timed out waiting for the status consumer to drain PIPELINE");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("the tracker's status consumer in a backlog", () => {
  // Catches: PIPELINE taken one envelope at a time again (statusConcurrency 1, as before 0113): every lab result
  // is then a script call of its own, and the status consumer falls behind the pipeline in a catch-up.
  it("folds the envelopes without business status many to a script call", async () => {
    const COUNT = 60;
    const envelopes = Array.from({ length: COUNT }, (_, i) => labResult(`pace-lab-${i}`, T0 + i));
    const setup = await backlog("trk-pace", envelopes);
    // The real client, counted: every script call the tracker's store makes goes through evalsha.
    let scriptCalls = 0;
    const evalsha = setup.redis.evalsha.bind(setup.redis);
    setup.redis.evalsha = ((...args: Parameters<typeof evalsha>) => {
      scriptCalls++;
      return evalsha(...args);
    }) as typeof evalsha;
    tracker = await startAndDrain(setup);
    for (const envelope of envelopes) {
      expect((await tracker.store.getMessage(envelope.hubId))?.kind, envelope.hubId).toBe("lab-result");
    }
    expect(scriptCalls).toBeGreaterThan(0);
    expect(scriptCalls).toBeLessThan(COUNT / 4);
  });

  // Catches: an envelope with business facts taken down the record-only path once many are in hand (its referral
  // never moves), or its effects dropped (no status change announced). The order of the folds itself is
  // keyed-order.test.ts's (@carehub/bus) and the gated tests' below: here Redis answers in the order asked, so folds
  // side by side rarely come out of order.
  it("with many envelopes in hand, folds each referral's facts and announces each status change in order", async () => {
    const REFERRALS = 12;
    const envelopes: Envelope[] = [];
    for (let r = 0; r < REFERRALS; r++) {
      const at = T0 + r * 1_000;
      envelopes.push(referral(`ord-ref-${r}`, `REF-ORD-${r}`, at));
      envelopes.push(labResult(`ord-lab-${r}-a`, at));
      const subject = { type: "referral" as const, id: `REF-ORD-${r}` };
      envelopes.push(statusUpdate(`ord-booked-${r}`, HOSPITAL, GP, subject, "booked", at + 100));
      envelopes.push(labResult(`ord-lab-${r}-b`, at));
      envelopes.push(statusUpdate(`ord-done-${r}`, HOSPITAL, GP, subject, "completed", at + 200));
    }
    const setup = await backlog("trk-order", envelopes);
    tracker = await startAndDrain(setup);
    for (let r = 0; r < REFERRALS; r++) {
      const entity = await tracker.store.getReferral(GP.id, `REF-ORD-${r}`);
      expect(
        entity?.history.map((h) => [h.status, h.outcome, h.sources]),
        `REF-ORD-${r}`,
      ).toEqual([
        ["sent", "applied", [`ord-ref-${r}`]],
        ["booked", "applied", [`ord-booked-${r}`]],
        ["completed", "applied", [`ord-done-${r}`]],
      ]);
      expect((await tracker.store.getMessage(`ord-lab-${r}-b`))?.kind).toBe("lab-result");
    }
    // The status changes as announced, in the order EVENTS stored them.
    const announced = new Map<string, string[]>();
    const subject = setup.bus.topology.subjects.events("status-changed");
    const last = (await setup.bus.jsm.streams.info(setup.bus.topology.streams.events)).state.last_seq;
    for (let seq = 1; seq <= last; seq++) {
      const stored = await setup.bus.getMessage(setup.bus.topology.streams.events, seq);
      if (stored?.subject !== subject) continue;
      const event = JSON.parse(Buffer.from(stored.data).toString("utf8")) as { subject: { id: string }; to: string };
      announced.set(event.subject.id, [...(announced.get(event.subject.id) ?? []), event.to]);
    }
    for (let r = 0; r < REFERRALS; r++) {
      expect(announced.get(`REF-ORD-${r}`), `REF-ORD-${r}`).toEqual(["sent", "booked", "completed"]);
    }
  });

  // Catches (review of 0113, item 1): a task naming a package referral keyed by its own id only (or every envelope
  // by its hubId, or the keyed order skipped): while the package referral's fold is held up, the task's fold runs, reads
  // no package referral, and its course join is refused for good — the live overview then differs from a rebuild
  // (stream order). Here the package referral's first script call is held at a gate until the unrelated referrals
  // behind the task are folded; the task must still be unfolded then, and join the course after.
  it("holds a task naming a package referral until the package referral is folded, so it joins the course", async () => {
    const patient = { system: "cpr" as const, value: "2509479989" };
    const pkg = envelopeOf(
      "join-pkg",
      GP,
      HOSPITAL,
      { kind: "referral", referralId: "KOL-J", category: "package-kol" },
      T0,
      { patient },
    );
    const task = envelopeOf(
      "join-task",
      HOSPITAL,
      MUNICIPALITY,
      { kind: "task-requisition", taskId: "T-J", code: "rehab", packageReferralId: "KOL-J" },
      T0 + 1_000,
      { patient },
    );
    const others = Array.from({ length: 4 }, (_, i) => referral(`join-other-${i}`, `REF-J-${i}`, T0 + 2_000 + i));
    const setup = await backlog("trk-join", [pkg, task, ...others]);
    const store = await whileFoldHeld(setup, pkg.hubId, others, 2, async (held) => {
      expect(await held.getMessage(task.hubId), "the task waits for its package referral").toBeUndefined();
    });
    const overview = await store.patientOverview(patient.value, { kind: "operator" });
    expect(overview?.courses.map((c) => [c.id, c.items.map((i) => [i.type, i.id])])).toEqual([
      [
        "gp-clinic:KOL-J",
        [
          ["referral", "KOL-J"],
          ["task", "T-J"],
        ],
      ],
    ]);
    expect(overview?.items).toEqual([]);
  });

  // Catches (review of 0113, item 2), through the real status consumer: an appointment's update with `basedOn`
  // keyed by its own id only — its fold runs while the referral it was booked for is still unfolded, finds no
  // referral and makes an unmatched appointment — or keyed by the referral only (the first version), so the later
  // update without `basedOn` (keyed by the appointment) runs first: an unmatched `cancelled`, then `booked` refused.
  // The referral's script calls are held at a gate until the unrelated referrals behind both updates are folded;
  // neither update may be folded then, and both apply in order after.
  it("holds an appointment's updates, with and without basedOn, behind the referral it was booked for, in order", async () => {
    const ref = referral("apt-ref", "REF-APT", T0);
    const apt = { type: "appointment" as const, id: "APT-1" };
    const booked = statusUpdate("apt-booked", HOSPITAL, GP, apt, "booked", T0 + 1_000, {
      basedOn: { type: "referral", id: "REF-APT" },
      appointment: { start: new Date(T0 + 86_400_000).toISOString() },
    });
    const cancelled = statusUpdate("apt-cancelled", HOSPITAL, GP, apt, "cancelled", T0 + 2_000);
    const others = Array.from({ length: 4 }, (_, i) => referral(`apt-other-${i}`, `REF-APT-${i}`, T0 + 3_000 + i));
    const setup = await backlog("trk-apt", [ref, booked, cancelled, ...others]);
    const store = await whileFoldHeld(setup, ref.hubId, others, 3, async (held) => {
      expect(await held.getMessage(booked.hubId), "booked waits for its referral").toBeUndefined();
      expect(await held.getMessage(cancelled.hubId), "cancelled waits for booked").toBeUndefined();
    });
    const appointment = await store.getAppointment(GP.id, apt.id);
    expect(appointment?.history.map((h) => [h.status, h.outcome, h.sources])).toEqual([
      ["booked", "applied", [booked.hubId]],
      ["cancelled", "applied", [cancelled.hubId]],
    ]);
    expect(appointment?.unmatched ?? false).toBe(false);
    // No stray appointment under the sender's own name (what an update with no referral to read leaves).
    expect(await store.getAppointment(HOSPITAL.id, apt.id)).toBeUndefined();
  });
});

/**
 * Starts the tracker on the backlog with the script calls of one envelope's fold (`heldHubId`) held at a gate — the
 * real client, its calls delayed — until the referrals `behind` it are folded and acked, at most `inHand` envelopes
 * left in hand (the held one and those that must wait for it); then runs `whileHeld`, opens the gate however that
 * ends (a fold held at the gate would hold up the tracker's stop for the hook's timeout), and waits for the drain.
 */
async function whileFoldHeld(
  setup: { bus: Bus; redis: Redis },
  heldHubId: string,
  behind: readonly Envelope[],
  inHand: number,
  whileHeld: (store: RunningTracker["store"]) => Promise<void>,
): Promise<RunningTracker["store"]> {
  let open: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const evalsha = setup.redis.evalsha.bind(setup.redis);
  setup.redis.evalsha = (async (...args: Parameters<typeof evalsha>) => {
    // The store hands ioredis its keys and arguments as arrays (ioredis flattens them one level, as here).
    if ((args as unknown[]).flat().some((arg) => typeof arg === "string" && arg.includes(heldHubId))) await gate;
    return evalsha(...args);
  }) as typeof evalsha;
  tracker = await startTracker({ ...setup, registry: trackerRegistry(), config: config(namespace) });
  const store = tracker.store;
  try {
    // Their handlers started after the held ones', in stream order.
    await until(async () => {
      for (const envelope of behind) {
        const content = envelope.content;
        if (content.kind !== "referral") throw new Error("behind: referrals only");
        if ((await store.getReferral(envelope.sourceEndpoint, content.referralId)) === undefined) return false;
      }
      const pipeline = setup.bus.topology.streams.pipeline;
      return (await setup.bus.jsm.consumers.info(pipeline, TRACKER_CONSUMERS.pipeline)).num_ack_pending <= inHand;
    });
    await whileHeld(store);
  } finally {
    open();
  }
  await drained(setup.bus);
  return store;
}

/** Waits until `done` holds (polled; fails after 20 s). */
async function until(done: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error("timed out waiting for the condition");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
