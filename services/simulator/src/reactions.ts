import type { BusinessStatus, ParsedMessage, Party } from "@carehub/schemas";
import type { BuiltSimMessage, FhirWireFormat } from "./message-factory.ts";
import { packageCourseReactions } from "./package-course-reactions.ts";
import type { Random } from "./random.ts";
import type { ScenarioBehaviour } from "./scenario.ts";
import { StatusReactions } from "./status-reactions.ts";
import type { SimEndpoint, SimWorld } from "./world.ts";

/** A status update an endpoint will send, some time after it received the message it answers. */
export interface Reaction {
  /** Milliseconds after the message was received. */
  afterMs: number;
  to: SimEndpoint;
  status: BusinessStatus;
  variant: string;
  build: (now: Date) => BuiltSimMessage;
}

/** The endpoint in the world that a message's party names. */
export function endpointOf(world: SimWorld, party: Party): SimEndpoint | undefined {
  return world.endpoints.find(
    (e) => (party.gln !== undefined && e.gln === party.gln) || (party.sor !== undefined && e.sor === party.sor),
  );
}

/**
 * How a hospital or municipality answers a referral or task requisition: the status-update messages it
 * sends back to the practice that started it, and when. Pure: the random stream decides (seeded per
 * received message, so a run is reproducible).
 */
export function reactionsTo(
  message: ParsedMessage,
  self: SimEndpoint,
  world: SimWorld,
  behaviour: ScenarioBehaviour,
  random: Random,
): Reaction[] {
  const content = message.content;
  const originator = endpointOf(world, message.sender);
  if (originator === undefined) return [];
  const format: FhirWireFormat = random.chance(behaviour.fhirXmlShare) ? "fhir+xml" : "fhir+json";
  const course = packageCourseReactions(message, self, originator, world, behaviour, random, format);
  if (course !== undefined) return course;
  const plan = new StatusReactions(message, self, originator, random, format);

  if (content.kind === "referral" && self.role === "hospital") {
    const subject = { type: "referral" as const, id: content.referralId };
    plan.status(behaviour.hospitalBookingDelayMs, subject, "booked", { appointmentInDays: random.int(3, 40) });
    // One draw picks the outcome; the probabilities are consecutive slices of [0, 1), the rest completes.
    const b = behaviour;
    const outcome = pickOutcome(random.next(), [
      ["rescheduled", b.hospitalRescheduleProbability],
      ["cancelled", b.hospitalCancelProbability],
      ["no-show", b.hospitalNoShowProbability],
      ["deleted", b.hospitalDeleteProbability],
    ]);
    switch (outcome) {
      case "rescheduled":
        plan.status(b.hospitalOutcomeDelayMs, subject, "rescheduled", {
          appointmentInDays: random.int(5, 60),
          reason: "Ambulatoriet har ændret tiden",
        });
        plan.status(b.hospitalOutcomeDelayMs, subject, "completed");
        break;
      case "cancelled":
        plan.status(b.hospitalOutcomeDelayMs, subject, "cancelled", {
          reason: "Henvisningen er annulleret af afdelingen",
        });
        break;
      case "no-show":
        plan.status(b.hospitalOutcomeDelayMs, subject, "no-show");
        break;
      case "deleted":
        plan.status(b.hospitalOutcomeDelayMs, subject, "deleted", {
          reason: "Henvisningen er registreret ved en fejl",
        });
        break;
      default:
        plan.status(b.hospitalOutcomeDelayMs, subject, "completed");
    }
  } else if (content.kind === "referral" && self.role === "municipality") {
    const subject = { type: "referral" as const, id: content.referralId };
    plan.status(behaviour.municipalityAnswerDelayMs, subject, "received");
    plan.status(behaviour.municipalityAnswerDelayMs, subject, "booked", { appointmentInDays: random.int(1, 14) });
    plan.status(behaviour.hospitalOutcomeDelayMs, subject, "completed");
  } else if (content.kind === "task-requisition" && (self.role === "municipality" || self.role === "acute-team")) {
    const subject = { type: "task" as const, id: content.taskId };
    if (random.chance(behaviour.municipalityRejectProbability)) {
      plan.status(behaviour.municipalityAnswerDelayMs, subject, "rejected", {
        reason: "Opgaven hører under en anden kommune",
      });
    } else {
      plan.status(behaviour.municipalityAnswerDelayMs, subject, "accepted");
      plan.status(behaviour.municipalityAnswerDelayMs, subject, "in-progress");
      if (random.chance(behaviour.municipalityCancelProbability)) {
        plan.status(behaviour.hospitalOutcomeDelayMs, subject, "cancelled", { reason: "Borgeren er indlagt" });
      } else {
        plan.status(behaviour.hospitalOutcomeDelayMs, subject, "completed");
      }
    }
  }
  return plan.reactions;
}

/** The status whose slice of [0, 1) holds `draw`, slices laid end to end in order; undefined past the last. */
function pickOutcome(draw: number, slices: ReadonlyArray<[BusinessStatus, number]>): BusinessStatus | undefined {
  let end = 0;
  for (const [status, share] of slices) {
    end += share;
    if (draw < end) return status;
  }
  return undefined;
}
