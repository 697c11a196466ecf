import type { BusinessStatus, ParsedMessage, Party } from "@carehub/schemas";
import { type BuiltSimMessage, type FhirWireFormat, makeStatusUpdate, organization } from "./message-factory.ts";
import { packageCourseReactions } from "./package-course-reactions.ts";
import type { Random } from "./random.ts";
import type { ScenarioBehaviour } from "./scenario.ts";
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

const DAY = 86_400_000;

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
  const patient = message.patient === undefined ? {} : { patient: { identifier: message.patient } };
  const reactions: Reaction[] = [];
  let at = 0;
  const step = (
    delay: [number, number],
    subject: { type: "referral" | "task"; id: string },
    status: BusinessStatus,
    extra: { appointmentInDays?: number; reason?: string } = {},
  ) => {
    at += random.int(delay[0], delay[1]);
    const ids = { bundleId: random.uuid(), messageHeaderId: random.uuid() };
    const days = extra.appointmentInDays;
    reactions.push({
      afterMs: at,
      to: originator,
      status,
      variant: `status-update/${subject.type}/${status}`,
      build: (now) =>
        makeStatusUpdate(
          {
            ids,
            now: now.toISOString(),
            sender: organization(self),
            receiver: organization(originator),
            ...patient,
            subject,
            status,
            occurredAt: now.toISOString(),
            ...(days === undefined
              ? {}
              : { appointment: { start: new Date(now.getTime() + days * DAY).toISOString() } }),
            ...(extra.reason === undefined ? {} : { reason: extra.reason }),
          },
          format,
        ),
    });
  };

  if (content.kind === "referral" && self.role === "hospital") {
    const subject = { type: "referral" as const, id: content.referralId };
    step(behaviour.hospitalBookingDelayMs, subject, "booked", { appointmentInDays: random.int(3, 40) });
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
        step(b.hospitalOutcomeDelayMs, subject, "rescheduled", {
          appointmentInDays: random.int(5, 60),
          reason: "Ambulatoriet har ændret tiden",
        });
        step(b.hospitalOutcomeDelayMs, subject, "completed");
        break;
      case "cancelled":
        step(b.hospitalOutcomeDelayMs, subject, "cancelled", { reason: "Henvisningen er annulleret af afdelingen" });
        break;
      case "no-show":
        step(b.hospitalOutcomeDelayMs, subject, "no-show");
        break;
      case "deleted":
        step(b.hospitalOutcomeDelayMs, subject, "deleted", { reason: "Henvisningen er registreret ved en fejl" });
        break;
      default:
        step(b.hospitalOutcomeDelayMs, subject, "completed");
    }
  } else if (content.kind === "referral" && self.role === "municipality") {
    const subject = { type: "referral" as const, id: content.referralId };
    step(behaviour.municipalityAnswerDelayMs, subject, "received");
    step(behaviour.municipalityAnswerDelayMs, subject, "booked", { appointmentInDays: random.int(1, 14) });
    step(behaviour.hospitalOutcomeDelayMs, subject, "completed");
  } else if (content.kind === "task-requisition" && (self.role === "municipality" || self.role === "acute-team")) {
    const subject = { type: "task" as const, id: content.taskId };
    if (random.chance(behaviour.municipalityRejectProbability)) {
      step(behaviour.municipalityAnswerDelayMs, subject, "rejected", {
        reason: "Opgaven hører under en anden kommune",
      });
    } else {
      step(behaviour.municipalityAnswerDelayMs, subject, "accepted");
      step(behaviour.municipalityAnswerDelayMs, subject, "in-progress");
      if (random.chance(behaviour.municipalityCancelProbability)) {
        step(behaviour.hospitalOutcomeDelayMs, subject, "cancelled", { reason: "Borgeren er indlagt" });
      } else {
        step(behaviour.hospitalOutcomeDelayMs, subject, "completed");
      }
    }
  }
  return reactions;
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
