import { corruptMessage, duplicateOf } from "./faults.ts";
import { planCareCommunication, planNotification } from "./plan-care-communication.ts";
import { createPlanContext, type PlannedDraft, type PlannedMessage } from "./plan-context.ts";
import { planHomecareObservation } from "./plan-homecare.ts";
import { planHospitalNotification } from "./plan-hospital-notification.ts";
import { planLabResult } from "./plan-lab.ts";
import { planReferral, planTaskRequisition } from "./plan-referrals.ts";
import { createRandom, type Random } from "./random.ts";
import type { ActionMix, Scenario } from "./scenario.ts";
import type { SimWorld } from "./world.ts";

export type { PlannedMessage } from "./plan-context.ts";

export interface PlannerOptions {
  seed: number | string;
  /** Offered messages per second. */
  rate: number;
  scenario: Scenario;
  world: SimWorld;
  /** The simulation's start (epoch ms): planned message times are `start + atMs`. */
  startTime: number;
}

export interface Planner {
  next(): PlannedMessage;
}

interface FollowUp {
  dueSeq: number;
  order: number;
  produce: (now: Date) => PlannedDraft;
}

type Action = keyof ActionMix;

/**
 * The deterministic sequence of messages the simulated endpoints send by themselves: new referrals,
 * requisitions, results, notifications, and the follow-ups they imply later in the sequence (a final lab
 * result after a partial one, a correction, the next hospital-notification of a stay, a reply). A function
 * of the seed, the scenario and the start time only; the rate spaces the messages in time. Each kind is
 * planned in its own module (plan-*.ts); this one chooses the kind, interleaves follow-ups and adds faults.
 */
export function createPlanner(options: PlannerOptions): Planner {
  const { scenario, world } = options;
  const root = createRandom(options.seed);
  const random = root.fork("plan");
  const faults = root.fork("faults");
  const intervalMs = 1000 / options.rate;
  const followUps: FollowUp[] = [];
  let order = 0;
  let seq = 0;

  const invalidShare = new Map<string, number>();
  const duplicateShare = new Map<string, number>();
  for (const m of scenario.misbehaviour) {
    if (m.type === "invalid") invalidShare.set(m.endpoint, m.probability);
    if (m.type === "duplicates") duplicateShare.set(m.endpoint, m.probability);
  }

  const later = (min: number, max: number, produce: FollowUp["produce"]) => {
    followUps.push({ dueSeq: seq + random.int(min, max), order: order++, produce });
  };
  const ctx = createPlanContext(random, world, scenario.behaviour, later);

  const actions: (readonly [Action, number])[] = (Object.keys(scenario.mix) as Action[]).map(
    (a) => [a, scenario.mix[a]] as const,
  );

  function fresh(now: Date): PlannedDraft {
    const action = random.weighted(actions);
    switch (action) {
      case "hospitalReferral":
        return planReferral(ctx, now, "hospital");
      case "municipalReferral":
        return planReferral(ctx, now, "municipal");
      case "packageReferral":
        return planReferral(ctx, now, random.chance(0.5) ? "package-kol" : "package-low-back-pain");
      case "taskRequisition":
        return planTaskRequisition(ctx, now);
      case "careCommunication":
        return planCareCommunication(ctx, now);
      case "homecareObservation":
        return planHomecareObservation(ctx, now);
      case "labResult":
        return planLabResult(ctx, now, false);
      case "practiceLabResult":
        return planLabResult(ctx, now, true);
      case "hospitalNotification":
        return planHospitalNotification(ctx, now);
      case "notification":
        return planNotification(ctx, now);
    }
  }

  function dueFollowUp(): FollowUp | undefined {
    let best: FollowUp | undefined;
    for (const f of followUps) {
      if (f.dueSeq > seq) continue;
      if (best === undefined || f.dueSeq < best.dueSeq || (f.dueSeq === best.dueSeq && f.order < best.order)) best = f;
    }
    if (best !== undefined) followUps.splice(followUps.indexOf(best), 1);
    return best;
  }

  return {
    next() {
      const atMs = Math.round(seq * intervalMs);
      const now = new Date(options.startTime + atMs);
      const due = dueFollowUp();
      let message = due !== undefined ? due.produce(now) : fresh(now);
      const invalid = invalidShare.get(message.from);
      if (invalid !== undefined && message.fault === undefined && faults.chance(invalid)) {
        message = { ...message, ...corruptMessage(message, faults), fault: "invalid" };
      } else {
        const duplicates = duplicateShare.get(message.from);
        if (duplicates !== undefined && faults.chance(duplicates)) {
          const original = message;
          later(1, 5, (at) => ({ ...duplicateOf(original, at, faults), fault: "duplicate" }));
        }
      }
      const out: PlannedMessage = { seq, atMs, ...message };
      seq += 1;
      return out;
    },
  };
}

/** The first `n` planned messages of a simulation. */
export function planMessages(options: PlannerOptions, n: number): PlannedMessage[] {
  const planner = createPlanner(options);
  return Array.from({ length: n }, () => planner.next());
}

export type { Random };
