import type { BusinessStatus, ParsedMessage } from "@carehub/schemas";
import { PACKAGE_REHABILITATION } from "./clinical-content.ts";
import { type FhirWireFormat, makeStatusUpdate, makeTaskRequisition, organization } from "./message-factory.ts";
import type { Random } from "./random.ts";
import type { Reaction } from "./reactions.ts";
import type { ScenarioBehaviour } from "./scenario.ts";
import type { SimEndpoint, SimWorld } from "./world.ts";

const DAY = 86_400_000;
type Subject = { type: "referral" | "task" | "appointment"; id: string };

/**
 * A package course as the simulator plays it (issue 12): the hospital that receives a package referral
 * (pakkehenvisning) receives it, plans and books the assessment, and asks the patient's municipality for the
 * package's rehabilitation (a task naming the package referral); the municipality plans the rehabilitation with a
 * window, books its first session and completes it. So the demo shows whole courses — planned and booked items
 * across practice, hospital and municipality. Pure like reactions.ts: the random stream decides.
 */
export function packageCourseReactions(
  message: ParsedMessage,
  self: SimEndpoint,
  originator: SimEndpoint,
  world: SimWorld,
  behaviour: ScenarioBehaviour,
  random: Random,
  format: FhirWireFormat,
): Reaction[] | undefined {
  const content = message.content;
  const patient = message.patient === undefined ? {} : { patient: { identifier: message.patient } };
  const reactions: Reaction[] = [];
  let at = 0;
  const status = (
    delay: [number, number],
    subject: Subject,
    value: BusinessStatus,
    extra: { basedOn?: Subject; bookInDays?: number; windowInDays?: [number, number] } = {},
  ) => {
    at += random.int(delay[0], delay[1]);
    const ids = { bundleId: random.uuid(), messageHeaderId: random.uuid() };
    const { bookInDays, windowInDays, basedOn } = extra;
    reactions.push({
      afterMs: at,
      to: originator,
      status: value,
      variant: `status-update/${subject.type}/${value}`,
      build: (now) =>
        makeStatusUpdate(
          {
            ids,
            now: now.toISOString(),
            sender: organization(self),
            receiver: organization(originator),
            ...patient,
            subject,
            status: value,
            occurredAt: now.toISOString(),
            ...(basedOn === undefined ? {} : { basedOn }),
            ...(bookInDays === undefined ? {} : { appointment: { start: inDays(now, bookInDays) } }),
            ...(windowInDays === undefined
              ? {}
              : { plannedWindow: { start: inDays(now, windowInDays[0]), end: inDays(now, windowInDays[1]) } }),
          },
          format,
        ),
    });
  };

  if (content.kind === "referral" && self.role === "hospital" && content.category in PACKAGE_REHABILITATION) {
    const referral = { type: "referral" as const, id: content.referralId };
    const assessment = { type: "appointment" as const, id: random.uuid() };
    status(behaviour.hospitalBookingDelayMs, referral, "received");
    status(behaviour.hospitalBookingDelayMs, referral, "planned", { windowInDays: [7, 21] });
    status(behaviour.hospitalBookingDelayMs, assessment, "booked", {
      basedOn: referral,
      bookInDays: random.int(7, 21),
    });
    const municipality = municipalityOf(world, message);
    const identifier = message.patient;
    if (municipality !== undefined && identifier !== undefined) {
      const [code, description] = PACKAGE_REHABILITATION[content.category as keyof typeof PACKAGE_REHABILITATION];
      const taskId = random.uuid();
      const ids = { bundleId: random.uuid(), messageHeaderId: random.uuid() };
      at += random.int(behaviour.hospitalOutcomeDelayMs[0], behaviour.hospitalOutcomeDelayMs[1]);
      reactions.push({
        afterMs: at,
        to: municipality,
        status: "requested",
        variant: `task-requisition/${code}`,
        build: (now) =>
          makeTaskRequisition(
            {
              ids,
              now: now.toISOString(),
              sender: organization(self),
              receiver: organization(municipality),
              patient: { identifier },
              task: { id: taskId, code, description, packageReferralId: content.referralId },
            },
            format,
          ),
      });
    }
    status(behaviour.hospitalOutcomeDelayMs, assessment, "completed", { basedOn: referral });
    return reactions;
  }
  if (content.kind === "task-requisition" && self.role === "municipality" && content.packageReferralId !== undefined) {
    const task = { type: "task" as const, id: content.taskId };
    const session = { type: "appointment" as const, id: random.uuid() };
    status(behaviour.municipalityAnswerDelayMs, task, "planned", { windowInDays: [14, 42] });
    status(behaviour.municipalityAnswerDelayMs, session, "booked", { basedOn: task, bookInDays: random.int(14, 42) });
    status(behaviour.hospitalOutcomeDelayMs, session, "completed", { basedOn: task });
    status(behaviour.hospitalOutcomeDelayMs, task, "completed");
    return reactions;
  }
  return undefined;
}

/** The patient's home municipality in the simulated world. */
function municipalityOf(world: SimWorld, message: ParsedMessage): SimEndpoint | undefined {
  const patient = world.patients.find((p) => p.cpr === message.patient?.value);
  return patient === undefined ? undefined : world.byId.get(patient.municipalityId);
}

function inDays(now: Date, days: number): string {
  return new Date(now.getTime() + days * DAY).toISOString();
}
