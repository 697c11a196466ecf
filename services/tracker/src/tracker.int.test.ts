import { type Bus, connectBus } from "@carehub/bus";
import { parseFhirMessage } from "@carehub/medcom-fhir";
import { metricValue } from "@carehub/observability";
import type { Envelope, LifecycleEvent } from "@carehub/schemas";
import { cleanupNamespace, sharedNatsUrl, sharedRedisUrl, testNamespace } from "@carehub/testkit";
import type { Subscription } from "@nats-io/nats-core";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rebuildReadModel } from "./rebuild.ts";
import { type RunningTracker, startTracker, TRACKER_CONSUMERS } from "./start-tracker.ts";
import {
  envelopeOf,
  GP,
  HOSPITAL,
  HUB,
  MUNICIPALITY,
  referral,
  statusUpdate,
  taskRequisition,
  trackerRegistry,
} from "./tracker-fixtures.test-support.ts";

/*
 * The tracker against the real NATS and Redis, fed by publishing envelopes to PIPELINE and events to EVENTS
 * directly (intake and router are other services). Checks the referral and task lifecycles, refused and
 * out-of-order transitions, status returns, ack-overdue and stale timers, and that a rebuild from the
 * streams gives back exactly the live read model.
 */

const ns = testNamespace("trk");
// Advisering: the registry says notifications expect no acknowledgement.
const registry = trackerRegistry(1, { notification: { acknowledgement: "not-expected" } });
const config = { namespace: ns, retentionDays: 30, patientHashKey: "tracker-test-key-0123456789" };
const T0 = Date.now() - 10 * 60_000;
let bus: Bus;
let redis: Redis;
let tracker: RunningTracker;
let statusSub: Subscription;
const announcements: Array<{ subject: { id: string }; to: string; from: string | null }> = [];

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function publishEnvelope(envelope: Envelope): Promise<void> {
  await bus.publishJson(bus.topology.subjects.pipeline(envelope.kind), envelope, { msgId: envelope.hubId });
}

async function publishEvent(event: LifecycleEvent): Promise<void> {
  await bus.publishJson(bus.topology.subjects.events(event.type), event, { msgId: event.eventId });
}

async function idle(): Promise<void> {
  await waitFor("the tracker to catch up", async () => {
    for (const [stream, durable] of [
      [bus.topology.streams.events, TRACKER_CONSUMERS.events],
      [bus.topology.streams.pipeline, TRACKER_CONSUMERS.pipeline],
    ] as const) {
      const info = await bus.jsm.consumers.info(stream, durable);
      if (info.num_pending > 0 || info.num_ack_pending > 0) return false;
    }
    return true;
  });
}

async function subjectCount(stream: string, subject: string, on: Bus = bus): Promise<number> {
  const info = await on.jsm.streams.info(stream, { subjects_filter: subject });
  return info.state.subjects?.[subject] ?? 0;
}

async function hubMessages(): Promise<string[]> {
  const subject = bus.topology.subjects.ingress(HUB.id);
  const count = await subjectCount(bus.topology.streams.ingress, subject);
  const out: string[] = [];
  for (let seq = 1, found = 0; found < count && seq < 10_000; seq++) {
    const message = await bus.getMessage(bus.topology.streams.ingress, seq);
    if (message?.subject === subject) {
      out.push(Buffer.from(message.data).toString("utf8"));
      found++;
    }
  }
  return out;
}

beforeAll(async () => {
  bus = await connectBus({ servers: sharedNatsUrl(), name: "tracker-int-test", namespace: ns });
  await bus.provision();
  redis = new Redis(sharedRedisUrl());
  statusSub = bus.nc.subscribe(bus.topology.subjects.status(GP.id), {
    callback: (_error, msg) => {
      announcements.push(msg.json());
    },
  });
  tracker = await startTracker({
    bus,
    redis,
    registry,
    config,
    options: { timerPollMs: 50, staleLimits: { task: { requested: 5_000 } } },
  });
});

afterAll(async () => {
  await tracker?.stop();
  statusSub?.unsubscribe();
  await cleanupNamespace({ namespace: ns, bus, redis });
  await bus?.drain();
  await redis?.quit();
});

describe("tracker", () => {
  it("follows a referral from sent to completed and returns the status the practice did not get", async () => {
    await publishEnvelope(referral("r1-0", "REF-A", T0));
    await publishEnvelope(statusUpdate("r1-1", HOSPITAL, GP, { type: "referral", id: "REF-A" }, "booked", T0 + 60_000));
    await publishEnvelope(
      statusUpdate("r1-2", HOSPITAL, GP, { type: "referral", id: "REF-A" }, "rescheduled", T0 + 120_000),
    );
    // Completed is reported to the municipality only: the practice must hear of it from the hub.
    await publishEnvelope(
      statusUpdate("r1-3", HOSPITAL, MUNICIPALITY, { type: "referral", id: "REF-A" }, "completed", T0 + 180_000),
    );
    const entity = await waitFor("REF-A completed", async () => {
      const e = await tracker.store.getReferral(GP.id, "REF-A");
      return e?.status === "completed" ? e : undefined;
    });
    expect(entity).toMatchObject({ originator: GP.id, counterparts: [HOSPITAL.id], stale: false });
    expect(entity.history.map((h) => [h.status, h.outcome, h.sources])).toEqual([
      ["sent", "applied", ["r1-0"]],
      ["booked", "applied", ["r1-1"]],
      ["rescheduled", "applied", ["r1-2"]],
      ["completed", "applied", ["r1-3"]],
    ]);
    await idle();
    const returned = (await hubMessages()).map((json) => parseFhirMessage(json));
    expect(returned).toHaveLength(1);
    const [first] = returned;
    if (first === undefined || !first.ok)
      throw new Error(`the hub's status update does not parse: ${JSON.stringify(first)}`);
    expect(first.message.content).toMatchObject({
      kind: "status-update",
      subject: { type: "referral", id: "REF-A" },
      status: "completed",
    });
    expect(first.message.sender).toMatchObject({ sor: HUB.sor, gln: HUB.gln });
    expect(first.message.receivers[0]).toMatchObject({ sor: GP.sor, gln: GP.gln });
    expect(announcements.filter((a) => a.subject.id === "REF-A").map((a) => [a.from, a.to])).toEqual([
      ["rescheduled", "completed"],
    ]);
    expect(
      await subjectCount(bus.topology.streams.events, bus.topology.subjects.events("status-changed")),
    ).toBeGreaterThanOrEqual(4);
    const cause = await tracker.store.getMessage("r1-3");
    expect(cause?.hops.map((h) => [h.type, h.code])).toContainEqual(["status-changed", "completed"]);
  });

  it("refuses completed → booked, keeps completed and raises transition-refused", async () => {
    await idle();
    const completed = { subject: "referral", status: "completed" };
    const completedBefore = await metricValue("carehub_status_changes_total", completed);
    const refusedBefore = await metricValue("carehub_status_refused_total", { subject: "referral" });
    await publishEnvelope(referral("r2-0", "REF-B", T0));
    const update = (hubId: string, status: "booked" | "completed", minutes: number) =>
      publishEnvelope(
        statusUpdate(hubId, HOSPITAL, GP, { type: "referral", id: "REF-B" }, status, T0 + minutes * 60_000),
      );
    await update("r2-1", "booked", 1);
    await update("r2-2", "completed", 2);
    await update("r2-3", "booked", 3);
    const refusedHop = await waitFor("the refusal in r2-3's timeline", async () => {
      const record = await tracker.store.getMessage("r2-3");
      return record?.hops.find((h) => h.type === "transition-refused");
    });
    expect(refusedHop.detail).toBe("referral REF-B: a referral cannot go from completed to booked (allowed: deleted)");
    const entity = await tracker.store.getReferral(GP.id, "REF-B");
    expect(entity?.status).toBe("completed");
    expect(entity?.history.at(-1)).toMatchObject({ status: "booked", outcome: "refused" });
    // Counted as each effect's event is stored, before the message that caused it is acked.
    await idle();
    expect(await metricValue("carehub_status_changes_total", completed)).toBe(completedBefore + 1);
    expect(await metricValue("carehub_status_refused_total", { subject: "referral" })).toBe(refusedBefore + 1);
  });

  it("keeps statuses that overtake the referral as unmatched, and matches them when the referral arrives", async () => {
    const unmatchedBefore = await metricValue("carehub_unmatched_statuses_total", { subject: "referral" });
    await publishEnvelope(statusUpdate("r3-1", HOSPITAL, GP, { type: "referral", id: "REF-C" }, "booked", T0 + 60_000));
    await publishEnvelope(
      statusUpdate("r3-2", HOSPITAL, GP, { type: "referral", id: "REF-C" }, "completed", T0 + 120_000),
    );
    const orphan = await waitFor("REF-C completed", async () => {
      const e = await tracker.store.getReferral(GP.id, "REF-C");
      return e?.status === "completed" ? e : undefined;
    });
    expect(orphan).toMatchObject({ unmatched: true, reportedAmong: [GP.id, HOSPITAL.id] });
    expect((await tracker.store.listUnmatched({ type: "referral" })).map((e) => e.id)).toContain("REF-C");
    await waitFor("the unmatched-status hop", async () =>
      (await tracker.store.getMessage("r3-2"))?.hops.some((h) => h.type === "unmatched-status"),
    );
    await publishEnvelope(referral("r3-0", "REF-C", T0));
    const entity = await waitFor("REF-C matched", async () => {
      const e = await tracker.store.getReferral(GP.id, "REF-C");
      return e?.unmatched === undefined ? e : undefined;
    });
    expect(entity.history.map((h) => [h.status, h.outcome])).toEqual([
      ["sent", "applied"],
      ["booked", "applied"],
      ["completed", "applied"],
    ]);
    expect((await tracker.store.listUnmatched({ type: "referral" })).map((e) => e.id)).not.toContain("REF-C");
    await idle();
    expect(await metricValue("carehub_unmatched_statuses_total", { subject: "referral" })).toBe(unmatchedBefore + 2);
    // The practice was told directly (the statuses were addressed to it): the hub returns nothing.
    const forC = (await hubMessages())
      .map((json) => parseFhirMessage(json))
      .filter((r) => r.ok && r.message.content.kind === "status-update" && r.message.content.subject.id === "REF-C");
    expect(forC).toEqual([]);
  });

  it("follows a task requisition and marks it stale when it is not accepted in time", async () => {
    await publishEnvelope(taskRequisition("t1-0", "TASK-S", Date.now() - 60_000));
    const task = await waitFor("TASK-S stale", async () => {
      const e = await tracker.store.getTask(GP.id, "TASK-S");
      return e?.stale ? e : undefined;
    });
    expect(task).toMatchObject({ status: "requested", originator: GP.id, counterparts: [MUNICIPALITY.id] });
    await waitFor("the stale event in the timeline", async () =>
      (await tracker.store.getMessage("t1-0"))?.hops.some((h) => h.type === "stale"),
    );
    await publishEnvelope(
      statusUpdate("t1-1", MUNICIPALITY, GP, { type: "task", id: "TASK-S" }, "accepted", Date.now() - 1_000),
    );
    const accepted = await waitFor("TASK-S accepted", async () => {
      const e = await tracker.store.getTask(GP.id, "TASK-S");
      return e?.status === "accepted" ? e : undefined;
    });
    expect(accepted.stale).toBe(false);
  });

  it("raises ack-overdue when the receiver does not acknowledge in time, and clears it on acknowledgement", async () => {
    const overdueBefore = await metricValue("carehub_ack_overdue_total", { endpoint: HOSPITAL.id });
    const at = new Date().toISOString();
    const base = {
      schemaVersion: 1 as const,
      hubId: "d-1",
      at,
      sourceEndpoint: GP.id,
      kind: "care-communication" as const,
    };
    await publishEvent({
      ...base,
      type: "received",
      eventId: "d-1:received",
      contentType: "application/fhir+json",
      size: 10,
    });
    await publishEvent({ ...base, type: "routed", eventId: "d-1:routed", receivers: [HOSPITAL.id], ruleCopies: [] });
    await publishEvent({
      ...base,
      type: "delivered",
      eventId: `d-1:delivered:${HOSPITAL.id}:1`,
      endpoint: HOSPITAL.id,
      attempt: 1,
      durationMs: 3,
    });
    const overdue = await waitFor("ack-overdue", async () => {
      const record = await tracker.store.getMessage("d-1");
      return record?.ackOverdue ? record : undefined;
    });
    expect(overdue.hops.map((h) => h.type)).toContain("ack-overdue");
    expect(await subjectCount(bus.topology.streams.events, bus.topology.subjects.events("ack-overdue"))).toBe(1);
    await waitFor("ack-overdue to be counted for the receiver", async () => {
      return (await metricValue("carehub_ack_overdue_total", { endpoint: HOSPITAL.id })) > overdueBefore;
    });
    expect(await metricValue("carehub_ack_overdue_total", { endpoint: HOSPITAL.id })).toBe(overdueBefore + 1);
    await publishEvent({
      ...base,
      type: "acknowledged",
      eventId: `d-1:acknowledged:${HOSPITAL.id}`,
      endpoint: HOSPITAL.id,
      code: "ok",
    });
    await waitFor(
      "the acknowledgement",
      async () => (await tracker.store.getMessage("d-1"))?.status === "acknowledged",
    );
    expect((await tracker.store.getMessage("d-1"))?.ackOverdue).toBe(false);
  });

  it("awaits no acknowledgement the sender did not ask for (minuspositivkvitt), nor one of an acknowledgement, nor of a kind the registry says needs none", async () => {
    const at = new Date().toISOString();
    const deliver = async (
      hubId: string,
      kind: "care-communication" | "lab-result" | "acknowledgement" | "notification",
      ackRequested: boolean | undefined,
    ) => {
      const base = { schemaVersion: 1 as const, hubId, at, sourceEndpoint: GP.id, kind };
      const flag = ackRequested === undefined ? {} : { ackRequested };
      await publishEvent({
        ...base,
        type: "routed",
        eventId: `${hubId}:routed`,
        receivers: [HOSPITAL.id],
        ruleCopies: [],
        ...flag,
      });
      await publishEvent({
        ...base,
        type: "delivered",
        eventId: `${hubId}:delivered:${HOSPITAL.id}`,
        endpoint: HOSPITAL.id,
        attempt: 1,
        durationMs: 3,
      });
    };
    // An OIOXML letter with minuspositivkvitt, told by the router's routed event …
    await deliver("na-routed", "lab-result", false);
    // … or only by its envelope on PIPELINE (a routed event from before the field was carried).
    const lab = {
      kind: "lab-result" as const,
      letterType: "XRPT01",
      consentGiven: null,
      corrected: false,
      results: [],
    };
    await publishEnvelope(
      envelopeOf("na-envelope", GP, HOSPITAL, lab, Date.now(), { format: "oioxml", ackRequested: false }),
    );
    await deliver("na-envelope", "lab-result", undefined);
    await deliver("na-ack", "acknowledgement", undefined);
    // A notification (advisering), although its sender asked for an acknowledgement: the registry's kind setting.
    await deliver("na-notification", "notification", true);
    // Delivered at the same moment with the same timeout: once this one is overdue, the others would be too.
    await deliver("aq-control", "care-communication", true);
    await waitFor("the control to be overdue", async () => (await tracker.store.getMessage("aq-control"))?.ackOverdue);
    await idle();
    const timers = await redis.zrange(`${ns}:timers`, 0, -1);
    for (const hubId of ["na-routed", "na-envelope", "na-ack", "na-notification"]) {
      const record = await tracker.store.getMessage(hubId);
      expect(record?.status, hubId).toBe("delivered");
      expect(record?.ackOverdue, hubId).toBe(false);
      expect(record?.perReceiver[0]?.ackDueAt, hubId).toBeUndefined();
      expect(
        record?.hops.map((h) => h.type),
        hubId,
      ).not.toContain("ack-overdue");
      expect(
        timers.filter((member) => member.includes(hubId)),
        hubId,
      ).toEqual([]);
    }
  });

  it("rebuilds from the streams exactly the read model it built live", async () => {
    await idle();
    const live = await tracker.store.dumpReadModel();
    expect(Object.keys(live).length).toBeGreaterThan(10);
    expect(JSON.stringify(live)).not.toContain('"px"');
    await tracker.stop();
    // Records from before identity was scoped by originator: the rebuild drops them and writes scoped keys.
    await redis.set(`${ns}:ent:referral:REF-A`, JSON.stringify({ ls: T0, o: GP.id, c: [HOSPITAL.id], f: [] }));
    await redis.zadd(tracker.store.keys.timers, T0, "s|referral|REF-A");
    const report = await rebuildReadModel({ bus, store: tracker.store, registry });
    expect(report.envelopes).toBe(14);
    expect(report.skipped).toBe(0);
    expect(await tracker.store.dumpReadModel()).toEqual(live);
  });
});

describe("tracker decoding", () => {
  const own = { ns: testNamespace("trkv"), bus: undefined as unknown as Bus, redis: undefined as unknown as Redis };
  let ownTracker: RunningTracker | undefined;

  beforeAll(async () => {
    own.bus = await connectBus({ servers: sharedNatsUrl(), name: "tracker-decoding-test", namespace: own.ns });
    await own.bus.provision();
    own.redis = new Redis(sharedRedisUrl());
    ownTracker = await startTracker({
      bus: own.bus,
      redis: own.redis,
      registry,
      config: { ...config, namespace: own.ns },
    });
  });

  afterAll(async () => {
    await ownTracker?.stop();
    await cleanupNamespace({ namespace: own.ns, bus: own.bus, redis: own.redis });
    await own.bus?.drain();
    await own.redis?.quit();
  });

  // The tracker takes events of the current Carehub-Schema-Version without validating them again (the hub built
  // them from the same schemas); anything else is still validated. Catches a decoder that trusts every event:
  // this one (an unknown stage, no time) would otherwise be folded into the read model. Its own namespace:
  // the main suite's rebuild would count it as skipped.
  it("still validates an event of an older schema version and dead-letters it when invalid", async () => {
    const eventId = "0192f0a0-0000-7000-8000-00000000dead";
    const hubId = "0192f0a0-0000-7000-8000-00000000beef";
    const dlq = own.bus.topology.subjects.dlq("tracker");
    const before = await subjectCount(own.bus.topology.streams.dlq, dlq, own.bus);
    await own.bus.publish(
      own.bus.topology.subjects.events("received"),
      JSON.stringify({ type: "received", eventId, hubId, stage: 42 }),
      { msgId: eventId, contentType: "application/json", headers: { "Carehub-Schema-Version": "0" } },
    );
    await waitFor("the invalid event in the tracker's dead letters", async () =>
      (await subjectCount(own.bus.topology.streams.dlq, dlq, own.bus)) > before ? true : undefined,
    );
    expect(await own.redis.keys(`${own.ns}:*${hubId}*`)).toEqual([]);
  });
});
