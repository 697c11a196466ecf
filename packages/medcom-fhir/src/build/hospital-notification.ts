import type { FhirResource } from "../fhir-json.ts";
import { profileForKind } from "../message-profiles.ts";
import { EXTENSIONS, SOR_ENDPOINT_PREFIX, SYSTEMS } from "../terminology/systems.ts";
import { buildMessage, derivedId, narrative, organization, patient, reference } from "./common.ts";
import type { BuiltMessage, HospitalNotificationInput } from "./types.ts";

/**
 * A MedCom HospitalNotification (advis om sygehusophold). The event is given as MedCom encodes it:
 * Provenance activity + Encounter class and status (+ Patient.deceased for a death). `link.to` names the
 * earlier notification a follow-up, revision or cancellation builds on.
 */
export function buildHospitalNotification(input: HospitalNotificationInput): BuiltMessage {
  const { ids, encounter: e } = input;
  const subject = patient(derivedId(ids, "patient"), input.patient);
  const sender = organization(derivedId(ids, "sender"), input.sender);
  const period: Record<string, string> = { start: e.start };
  if (e.end !== undefined) period.end = e.end;
  const encounter: FhirResource = {
    resourceType: "Encounter",
    id: derivedId(ids, "encounter"),
    meta: {
      profile: [
        "http://medcomfhir.dk/ig/hospitalnotification/StructureDefinition/medcom-hospitalNotification-encounter",
      ],
    },
    text: narrative(`Encounter ${e.class} ${e.status}`),
  };
  if (e.leaveStart !== undefined) {
    const leave: Record<string, string> = { start: e.leaveStart };
    if (e.leaveEnd !== undefined) leave.end = e.leaveEnd;
    encounter.extension = [{ url: EXTENSIONS.leavePeriod, valuePeriod: leave }];
  }
  Object.assign(encounter, {
    status: e.status,
    class: { system: SYSTEMS.actCode, code: e.class },
    subject: reference(subject),
    episodeOfCare: [{ identifier: { system: `${SOR_ENDPOINT_PREFIX}${input.sender.sor}`, value: e.episodeOfCareId } }],
    period,
    serviceProvider: reference(sender),
  });
  return buildMessage(input, profileForKind("hospital-notification"), {
    extra: [subject, encounter],
    focus: encounter,
    activity: input.activity,
    entityRole: input.activity.startsWith("cancel-") ? "removal" : "revision",
  });
}
