import type { FhirResource } from "../fhir-json.ts";
import { profileForKind } from "../message-profiles.ts";
import { EXTENSIONS } from "../terminology/systems.ts";
import { buildMessage, derivedId, narrative, organization, patient, reference } from "./common.ts";
import type { BuiltMessage, NotificationInput } from "./types.ts";

/** A carehub notification (advisering): a fire-and-forget Communication; no reply is expected. */
export function buildNotification(input: NotificationInput): BuiltMessage {
  const { ids } = input;
  const subject = input.patient === undefined ? undefined : patient(derivedId(ids, "patient"), input.patient);
  const communication: FhirResource = {
    resourceType: "Communication",
    id: derivedId(ids, "communication"),
    meta: { profile: ["https://carehub.dev/fhir/StructureDefinition/carehub-notification"] },
    text: narrative("Notification"),
    status: "completed",
  };
  if (input.expiresAt !== undefined) {
    communication.extension = [{ url: EXTENSIONS.notificationExpires, valueDateTime: input.expiresAt }];
  }
  if (subject !== undefined) communication.subject = reference(subject);
  Object.assign(communication, {
    topic: { text: input.topic },
    sent: input.now,
    recipient: [reference(organization(derivedId(ids, "receiver"), input.receiver))],
    sender: reference(organization(derivedId(ids, "sender"), input.sender)),
  });
  if (input.text !== undefined) communication.payload = [{ contentString: input.text }];
  return buildMessage(input, profileForKind("notification"), {
    extra: subject === undefined ? [communication] : [subject, communication],
    focus: communication,
  });
}
