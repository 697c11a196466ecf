import type { FhirResource } from "@carehub/medcom-fhir";
import { CARE_COMMUNICATION_CATEGORIES, careText, DOCTORS, NURSES } from "./clinical-content.ts";
import {
  makeCareCommunication,
  makeNotification,
  organization,
  patientInput,
  provenanceOf,
} from "./message-factory.ts";
import type { PlanContext, PlannedDraft } from "./plan-context.ts";
import type { SimEndpoint } from "./world.ts";

/** A care communication between a practice, a municipality and a hospital, sometimes answered later. */
export function planCareCommunication(ctx: PlanContext, now: Date): PlannedDraft {
  const { random, world, later, fhirFormat, ids, patient, endpoint, planned } = ctx;
  const p = patient();
  const gp = endpoint(p.gpId);
  const municipality = endpoint(p.municipalityId);
  const hospital = world.byRole.hospital.length > 0 ? random.pick(world.byRole.hospital) : municipality;
  const [from, to] = random.pick([
    [gp, municipality],
    [municipality, gp],
    [hospital, municipality],
    [municipality, hospital],
    [hospital, gp],
  ] as const);
  const threadId = `urn:uuid:${random.uuid()}`;
  const category = random.pick(CARE_COMMUNICATION_CATEGORIES);
  const format = fhirFormat();
  const send = (
    sender: SimEndpoint,
    receiver: SimEndpoint,
    at: Date,
    reply?: { to: string; history: FhirResource[] },
  ) =>
    makeCareCommunication(
      {
        ids: ids(),
        now: at.toISOString(),
        sender: organization(sender),
        receiver: organization(receiver),
        patient: patientInput(p),
        threadId,
        category,
        text: careText(random, reply !== undefined),
        segmentId: `urn:uuid:${random.uuid()}`,
        author: sender.role === "practice" || sender.role === "hospital" ? random.pick(DOCTORS) : random.pick(NURSES),
        ...(reply === undefined
          ? {}
          : { link: { type: "reply" as const, to: { messageId: reply.to } }, history: reply.history }),
      },
      format,
    );
  const first = send(from, to, now);
  if (random.chance(0.4)) {
    later(2, 20, (at) => {
      const built = send(to, from, at, { to: first.messageId, history: provenanceOf(first.bundle) });
      return planned(built, "care-communication/reply", to, from);
    });
  }
  return planned(first, "care-communication/new", from, to);
}

/** A practice tells another practice that new material about a shared patient is available. */
export function planNotification(ctx: PlanContext, now: Date): PlannedDraft {
  const { random, world, fhirFormat, ids, patient, endpoint, planned } = ctx;
  const p = patient();
  const from = endpoint(p.gpId);
  const others = world.byRole.practice.filter((e) => e.id !== from.id);
  const to = others.length > 0 ? random.pick(others) : from;
  const built = makeNotification(
    {
      ids: ids(),
      now: now.toISOString(),
      sender: organization(from),
      receiver: organization(to),
      patient: patientInput(p),
      topic: "journal-tilgaengelig",
      text: "Der ligger nyt materiale om fælles patient.",
    },
    fhirFormat(),
  );
  return planned(built, "notification/new", from, to);
}
