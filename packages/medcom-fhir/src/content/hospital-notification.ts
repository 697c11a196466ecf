import type { ContentOf } from "@carehub/schemas";
import { bool, obj, objects, str } from "../fhir-json.ts";
import { EXTENSIONS } from "../terminology/systems.ts";
import { checkTime } from "./check-time.ts";
import type { ReadContext } from "./context.ts";

type EncounterClass = "IMP" | "EMER";
type EncounterStatus = "in-progress" | "onleave" | "finished" | "entered-in-error";
const STATUSES: ReadonlySet<string> = new Set(["in-progress", "onleave", "finished", "entered-in-error"]);

/**
 * The Encounter status each notification activity goes with (MedCom's HospitalNotification code table).
 * The class follows from the activity's suffix (-emergency → EMER, -inpatient → IMP).
 */
const STATUS_FOR_ACTIVITY: Readonly<Record<string, EncounterStatus>> = {
  "admit-emergency": "in-progress",
  "revise-admit-emergency": "in-progress",
  "cancel-admit-emergency": "entered-in-error",
  "admit-inpatient": "in-progress",
  "revise-admit-inpatient": "in-progress",
  "cancel-admit-inpatient": "entered-in-error",
  "start-leave-inpatient": "onleave",
  "revise-start-leave-inpatient": "onleave",
  "cancel-start-leave-inpatient": "in-progress",
  "end-leave-inpatient": "in-progress",
  "revise-end-leave-inpatient": "in-progress",
  "cancel-end-leave-inpatient": "onleave",
  "discharge-emergency-home": "finished",
  "discharge-inpatient-home": "finished",
  "revise-discharge-emergency-home": "finished",
  "revise-discharge-inpatient-home": "finished",
  "cancel-discharge-emergency-home": "in-progress",
  "cancel-discharge-inpatient-home": "in-progress",
};

function classForActivity(activity: string): EncounterClass | undefined {
  if (activity.includes("-emergency")) return "EMER";
  if (activity.includes("-inpatient")) return "IMP";
  return undefined;
}

/**
 * Whether class + status + activity + deceased make a known notification. A death (MORS) keeps the current
 * activity and sets the status to finished; a cancelled death (AN_MORS) goes back to the activity's status.
 */
export function isConsistentNotification(
  encounterClass: string,
  status: string,
  activity: string,
  deceased: boolean,
): boolean {
  const expectedStatus = STATUS_FOR_ACTIVITY[activity];
  if (expectedStatus === undefined) return false;
  if (classForActivity(activity) !== encounterClass) return false;
  if (deceased) return status === "finished" && !activity.startsWith("cancel-");
  return status === expectedStatus;
}

export function readHospitalNotification(ctx: ReadContext): ContentOf<"hospital-notification"> | undefined {
  const { focus, issues, patient } = ctx;
  if (focus === undefined) return undefined;
  const e = focus.resource;
  const encounterClass = str(obj(e, "class"), "code");
  if (encounterClass !== "IMP" && encounterClass !== "EMER")
    issues.error("CAREHUB_ERR_FHIR_HN_ENCOUNTER_CLASS", `${focus.path}.class`, "Encounter.class must be IMP or EMER");
  const status = str(e, "status");
  if (status === undefined || !STATUSES.has(status))
    issues.error(
      "CAREHUB_ERR_FHIR_HN_ENCOUNTER_STATUS",
      `${focus.path}.status`,
      "Encounter.status must be in-progress, onleave, finished or entered-in-error",
    );

  const patientResource = patient?.entry.resource;
  const deceased =
    bool(patientResource, "deceasedBoolean") === true || str(patientResource, "deceasedDateTime") !== undefined;
  if (patient !== undefined && !patient.officialCpr)
    issues.error(
      "CAREHUB_ERR_FHIR_HN_CPR_REQUIRED",
      `${patient.entry.path}.identifier`,
      "a HospitalNotification patient must have an official CPR number",
    );

  const episodes = objects(e, "episodeOfCare");
  const hasEpisodeId = episodes.some(
    ({ value }) =>
      str(obj(value, "identifier"), "system") !== undefined && str(obj(value, "identifier"), "value") !== undefined,
  );
  if (!hasEpisodeId)
    issues.error(
      "CAREHUB_ERR_FHIR_HN_EPISODE_OF_CARE",
      `${focus.path}.episodeOfCare`,
      "Encounter.episodeOfCare must carry an identifier with a system and a value",
    );

  const period = obj(e, "period");
  checkTime(str(period, "start"), `${focus.path}.period.start`, "Encounter.period.start", issues);
  checkTime(str(period, "end"), `${focus.path}.period.end`, "Encounter.period.end", issues);
  const leave = objects(e, "extension").find(({ value }) => str(value, "url") === EXTENSIONS.leavePeriod);
  const leaveStart = str(obj(leave?.value, "valuePeriod"), "start");
  if (status === "onleave" && leaveStart === undefined)
    issues.error(
      "CAREHUB_ERR_FHIR_HN_LEAVE_START",
      `${focus.path}.extension`,
      "an Encounter on leave must have a leave-period start",
    );

  const activity = ctx.provenance.activity ?? "";
  if (
    encounterClass !== undefined &&
    status !== undefined &&
    ctx.provenance.activity !== undefined &&
    !isConsistentNotification(encounterClass, status, activity, deceased)
  )
    // The hub's own consistency check, not a MedCom invariant: MedCom's test scripts send such messages.
    issues.warning(
      "CAREHUB_ERR_FHIR_HN_EVENT_INCONSISTENT",
      focus.path,
      `Encounter class ${encounterClass} with status ${status} does not fit activity ${activity}${deceased ? " for a deceased patient" : ""}`,
    );

  return {
    kind: "hospital-notification",
    encounterClass: encounterClass ?? "",
    encounterStatus: status ?? "",
    activity,
    deceased,
  };
}
