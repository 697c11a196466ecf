import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { medcomExamplesDir } from "@carehub/testkit/medcom-fixtures";

/** MedCom's HomeCareObservation example (the acute team → the practice), as published. */
export const HOMECARE = readFileSync(
  medcomExamplesDir("fhir", "homecareobservation", "ig-401cbc36-db1e-4fe0-bf90-6df331dde179.json"),
  "utf8",
);
/** Its MessageHeader.id: the sender's message id the hub files it under. */
export const HOMECARE_MESSAGE_ID = "489de4f2-0d8d-4de2-a7ce-ccb93568799f";
const HOMECARE_BUNDLE_ID = (JSON.parse(HOMECARE) as { id: string }).id;
/** The CPR number of the patient in the example. */
export const HOMECARE_CPR = "2509479989";

/** The example as a new message: a fresh MessageHeader.id (or the one given) and Bundle.id. */
export function freshHomecare(messageId: string = randomUUID()): { messageId: string; body: string } {
  return {
    messageId,
    body: HOMECARE.replaceAll(HOMECARE_MESSAGE_ID, messageId).replaceAll(HOMECARE_BUNDLE_ID, randomUUID()),
  };
}
