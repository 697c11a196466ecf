import generated from "./medcom-codes.generated.json" with { type: "json" };

function pairKeys(pairs: ReadonlyArray<readonly string[]>): ReadonlySet<string> {
  return new Set(pairs.map(([system, code]) => `${system}|${code}`));
}

/** `system|code` of every Observation code in the HomeCareObservation repertoire. */
export const HOMECARE_OBSERVATION_CODES = pairKeys(generated.homecareObservationCodes);
/** `system|code` of every acknowledgement issue-details code. */
export const ACKNOWLEDGEMENT_ISSUE_DETAILS = pairKeys(generated.acknowledgementIssueDetails);
/** Issue-details code → its code system, for building acknowledgements. */
export const ACKNOWLEDGEMENT_ISSUE_SYSTEM: ReadonlyMap<string, string> = new Map(
  generated.acknowledgementIssueDetails.map(([system, code]) => [code ?? "", system ?? ""]),
);
export const MEDCOM_EVENT_CODES: ReadonlySet<string> = new Set(generated.eventCodes);
export const ACTIVITY_CODES: ReadonlySet<string> = new Set(generated.activityCodes);
export const CARE_COMMUNICATION_ACTIVITIES: ReadonlySet<string> = new Set(generated.careCommunicationActivities);
export const HOMECARE_OBSERVATION_ACTIVITIES: ReadonlySet<string> = new Set(generated.homecareObservationActivities);
export const HOSPITAL_NOTIFICATION_ACTIVITIES: ReadonlySet<string> = new Set(generated.hospitalNotificationActivities);
export const CARE_COMMUNICATION_CATEGORIES: ReadonlySet<string> = new Set(generated.careCommunicationCategories);

const OPERATION_OUTCOME = "http://terminology.hl7.org/CodeSystem/operation-outcome";
const ISSUE_DETAILS_CS = "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-acknowledgement-issue-details";

/**
 * Issue-details codes of earlier published versions of MedCom's acknowledgement terminology that are no longer in
 * the current ValueSet, but that acknowledgements in circulation still carry. Accepted when read, never sent.
 * Source: dk-medcom-terminology, MedComAcknowledgementIssueDetails.fsh, ValueSet and CodeSystem version
 * 1.0.0-a.1 (2022-09-01): the operation-outcome code MSG_RESOURCE_FAIL (renamed MSG_RESOURCE_ID_FAIL in 1.8.1)
 * and the temporary MedCom codes message-development-error / message-delivery-error.
 */
export const EARLIER_ACKNOWLEDGEMENT_ISSUE_DETAILS: ReadonlySet<string> = new Set([
  `${OPERATION_OUTCOME}|MSG_RESOURCE_FAIL`,
  `${ISSUE_DETAILS_CS}|message-development-error`,
  `${ISSUE_DETAILS_CS}|message-delivery-error`,
]);

/** Whether an acknowledgement's issue-details coding is in the current or an earlier published ValueSet. */
export function isKnownAcknowledgementIssueDetail(system: string | undefined, code: string | undefined): boolean {
  const key = `${system}|${code}`;
  return ACKNOWLEDGEMENT_ISSUE_DETAILS.has(key) || EARLIER_ACKNOWLEDGEMENT_ISSUE_DETAILS.has(key);
}
