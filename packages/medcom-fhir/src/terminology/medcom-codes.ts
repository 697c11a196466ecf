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
