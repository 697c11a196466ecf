import type { FhirResource } from "@carehub/medcom-fhir";
import {
  type BuiltSimMessage,
  makeHospitalNotification,
  organization,
  patientInput,
  provenanceOf,
} from "./message-factory.ts";
import { planCareCommunication } from "./plan-care-communication.ts";
import type { PlanContext, PlannedDraft } from "./plan-context.ts";

/** A hospital stay told to the municipality: admission now, then leave and discharge as follow-ups. */
export function planHospitalNotification(ctx: PlanContext, now: Date): PlannedDraft {
  const { random, world, later, fhirFormat, ids, patient, endpoint, planned } = ctx;
  const p = patient();
  const hospitals = world.byRole.hospital;
  if (hospitals.length === 0) return planCareCommunication(ctx, now);
  const from = random.pick(hospitals);
  const to = endpoint(p.municipalityId);
  const episodeOfCareId = random.uuid();
  const inpatient = random.chance(0.7);
  const start = now.toISOString();
  const format = fhirFormat();
  type Step = {
    activity: Parameters<typeof makeHospitalNotification>[0]["activity"];
    status: "in-progress" | "onleave" | "finished";
    leave?: "start" | "end";
  };
  const steps: Step[] = inpatient
    ? [
        { activity: "admit-inpatient", status: "in-progress" },
        ...(random.chance(0.3)
          ? ([
              { activity: "start-leave-inpatient", status: "onleave", leave: "start" },
              { activity: "end-leave-inpatient", status: "in-progress", leave: "end" },
            ] as Step[])
          : []),
        { activity: "discharge-inpatient-home", status: "finished" },
      ]
    : [
        { activity: "admit-emergency", status: "in-progress" },
        { activity: "discharge-emergency-home", status: "finished" },
      ];
  let leaveStart: string | undefined;
  const send = (at: Date, step: Step, previous?: { messageId: string; history: FhirResource[] }) => {
    if (step.leave === "start") leaveStart = at.toISOString();
    return makeHospitalNotification(
      {
        ids: ids(),
        now: at.toISOString(),
        sender: organization(from),
        receiver: organization(to),
        patient: patientInput(p),
        activity: step.activity,
        encounter: {
          class: inpatient ? "IMP" : "EMER",
          status: step.status,
          episodeOfCareId,
          start,
          ...(step.status === "finished" ? { end: at.toISOString() } : {}),
          ...(leaveStart !== undefined && step.leave !== undefined ? { leaveStart } : {}),
          ...(step.leave === "end" ? { leaveEnd: at.toISOString() } : {}),
        },
        ...(previous === undefined
          ? {}
          : { link: { type: "reply" as const, to: { messageId: previous.messageId } }, history: previous.history }),
      },
      format,
    );
  };
  const chain = (index: number, previous: BuiltSimMessage) => {
    const step = steps[index];
    if (step === undefined) return;
    later(3, 30, (at) => {
      const built = send(at, step, { messageId: previous.messageId, history: provenanceOf(previous.bundle) });
      chain(index + 1, built);
      return planned(built, `hospital-notification/${step.activity}`, from, to);
    });
  };
  const [first] = steps;
  if (first === undefined) throw new Error("unreachable: a stay has steps");
  const built = send(now, first);
  chain(1, built);
  return planned(built, `hospital-notification/${first.activity}`, from, to);
}
