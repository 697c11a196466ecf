import type { ParsedMessage } from "@carehub/schemas";
import { PACKAGE_REHABILITATION } from "./clinical-content.ts";
import { type FhirWireFormat, makeTaskRequisition, organization } from "./message-factory.ts";
import type { Random } from "./random.ts";
import type { Reaction } from "./reactions.ts";
import type { ScenarioBehaviour } from "./scenario.ts";
import { StatusReactions } from "./status-reactions.ts";
import type { SimEndpoint, SimWorld } from "./world.ts";

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
  const plan = new StatusReactions(message, self, originator, random, format);
  const status = plan.status.bind(plan);

  if (content.kind === "referral" && self.role === "hospital" && content.category in PACKAGE_REHABILITATION) {
    const referral = { type: "referral" as const, id: content.referralId };
    const assessment = { type: "appointment" as const, id: random.uuid() };
    status(behaviour.hospitalBookingDelayMs, referral, "received");
    status(behaviour.hospitalBookingDelayMs, referral, "planned", { windowInDays: [7, 21] });
    status(behaviour.hospitalBookingDelayMs, assessment, "booked", {
      basedOn: referral,
      appointmentInDays: random.int(7, 21),
    });
    const municipality = municipalityOf(world, message);
    const identifier = message.patient;
    if (municipality !== undefined && identifier !== undefined) {
      const [code, description] = PACKAGE_REHABILITATION[content.category as keyof typeof PACKAGE_REHABILITATION];
      const taskId = random.uuid();
      const ids = { bundleId: random.uuid(), messageHeaderId: random.uuid() };
      const afterMs = plan.after(behaviour.hospitalOutcomeDelayMs);
      plan.reactions.push({
        afterMs,
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
    return plan.reactions;
  }
  if (content.kind === "task-requisition" && self.role === "municipality" && content.packageReferralId !== undefined) {
    const task = { type: "task" as const, id: content.taskId };
    const session = { type: "appointment" as const, id: random.uuid() };
    status(behaviour.municipalityAnswerDelayMs, task, "planned", { windowInDays: [14, 42] });
    status(behaviour.municipalityAnswerDelayMs, session, "booked", {
      basedOn: task,
      appointmentInDays: random.int(14, 42),
    });
    status(behaviour.hospitalOutcomeDelayMs, session, "completed", { basedOn: task });
    status(behaviour.hospitalOutcomeDelayMs, task, "completed");
    return plan.reactions;
  }
  return undefined;
}

/** The patient's home municipality in the simulated world. */
function municipalityOf(world: SimWorld, message: ParsedMessage): SimEndpoint | undefined {
  const patient = world.patients.find((p) => p.cpr === message.patient?.value);
  return patient === undefined ? undefined : world.byId.get(patient.municipalityId);
}
