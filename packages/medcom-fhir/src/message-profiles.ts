import type { MessageKind } from "@carehub/schemas";
import {
  CARE_COMMUNICATION_ACTIVITIES,
  HOMECARE_OBSERVATION_ACTIVITIES,
  HOSPITAL_NOTIFICATION_ACTIVITIES,
} from "./terminology/medcom-codes.ts";
import { SYSTEMS } from "./terminology/systems.ts";

export type FhirMessageKind = Extract<
  MessageKind,
  | "care-communication"
  | "hospital-notification"
  | "homecare-observation"
  | "acknowledgement"
  | "empty"
  | "referral"
  | "task-requisition"
  | "notification"
  | "status-update"
  | "lab-result"
>;

/** What each FHIR message kind requires of its Bundle. */
export interface MessageProfile {
  kind: FhirMessageKind;
  eventSystem: string;
  eventCode: string;
  /** ParsedMessage.standard. */
  standard: string;
  /** Bundle.meta.profile canonical the builders declare. */
  profile: string;
  /** Activity codes allowed on the Provenance of this message. */
  activities: ReadonlySet<string>;
  /** Whether every Provenance in the Bundle (historic ones too) must use an allowed activity (MedCom invariants). */
  allProvenanceRestricted: boolean;
  /** The focus resource type, when the message has one. */
  focus?: string;
  patient: "exactly-one" | "optional";
  /** What MessageHeader.definition must name, for the standards that require it. */
  definition?: DefinitionRule;
  /**
   * Bundle.meta.profile canonicals of releases before the current one. A message declaring one is still read,
   * but the rules the current release added only warn (the content reader decides which rules those are).
   */
  earlierReleases?: readonly string[];
}

export interface DefinitionRule {
  pattern: RegExp;
  /** The form senders should use, for the issue message. */
  expected: string;
}

const MEDCOM_PROFILE = "http://medcomfhir.dk/ig";
const CAREHUB_PROFILE = "https://carehub.dev/fhir/StructureDefinition";
/** carehub's own profiles' version, declared as `|1.0` on Bundle.meta.profile. */
export const CAREHUB_PROFILE_VERSION = "1.0";

const MESSAGE_DEFINITION = "http://medcomfhir\\.dk/ig/messagedefinitions/MessageDefinition";

/** Invariant medcom-carecommunication-definition-url. */
const CARE_COMMUNICATION_DEFINITION: DefinitionRule = {
  pattern: new RegExp(`^${MESSAGE_DEFINITION}/MedComCareCommunicationMessageDefinition[|]5[.][0-9]{1,2}$`),
  expected: "http://medcomfhir.dk/ig/messagedefinitions/MessageDefinition/MedComCareCommunicationMessageDefinition|5.x",
};

/**
 * Invariant medcom-hcobs-definition-url says `…/MedComHomeCareObservationMessageDefinition|1.x`, but MedCom's own
 * test examples send `…/MedComHomeCareObservationMessageDefinition1.1` (no `|`, the id of the MessageDefinition
 * instance). MedCom's validator accepts both because the invariant's regex has an unescaped `|`, which makes it an
 * alternation that matches any value starting with the URL. carehub accepts exactly these two forms.
 */
const HOMECARE_OBSERVATION_DEFINITION: DefinitionRule = {
  pattern: new RegExp(`^${MESSAGE_DEFINITION}/MedComHomeCareObservationMessageDefinition[|]?1[.][0-9]{1,2}$`),
  expected:
    "http://medcomfhir.dk/ig/messagedefinitions/MessageDefinition/MedComHomeCareObservationMessageDefinition|1.x",
};

/**
 * The 2023 pilot of HomeCareObservation, before release 1.0 (EHMI's samples still send it): no MessageDefinition
 * yet, and its sample's performer points at a PractitionerRole that is not in the Bundle.
 */
const HOMECARE_OBSERVATION_PILOT =
  "http://medcomfhir.dk/ig/homecareobservation/StructureDefinition/medcom-homecare-message";

const GENERIC_ACTIVITIES = new Set([
  "new-message",
  "reply-message",
  "forward-message",
  "modified-message",
  "retract-message",
]);

function medcom(
  kind: FhirMessageKind,
  eventCode: string,
  standard: string,
  profile: string,
  rest: Omit<MessageProfile, "kind" | "eventSystem" | "eventCode" | "standard" | "profile">,
): MessageProfile {
  return {
    kind,
    eventSystem: SYSTEMS.eventCodes,
    eventCode,
    standard,
    profile: `${MEDCOM_PROFILE}/${profile}`,
    ...rest,
  };
}

function carehub(
  kind: FhirMessageKind,
  standard: string,
  activities: string[],
  focus: string | undefined,
  patient: MessageProfile["patient"],
): MessageProfile {
  const profile: MessageProfile = {
    kind,
    eventSystem: SYSTEMS.carehubEventCodes,
    eventCode: `${kind}-message`,
    standard,
    profile: `${CAREHUB_PROFILE}/carehub-${kind}-message`,
    activities: new Set(activities),
    allProvenanceRestricted: false,
    patient,
  };
  if (focus !== undefined) profile.focus = focus;
  return profile;
}

export const MESSAGE_PROFILES: readonly MessageProfile[] = [
  medcom(
    "care-communication",
    "care-communication-message",
    "CareCommunication",
    "carecommunication/StructureDefinition/medcom-careCommunication-message",
    {
      activities: CARE_COMMUNICATION_ACTIVITIES,
      allProvenanceRestricted: true,
      focus: "Communication",
      patient: "exactly-one",
      definition: CARE_COMMUNICATION_DEFINITION,
    },
  ),
  medcom(
    "hospital-notification",
    "hospital-notification-message",
    "HospitalNotification",
    "hospitalnotification/StructureDefinition/medcom-hospitalNotification-message",
    {
      activities: HOSPITAL_NOTIFICATION_ACTIVITIES,
      allProvenanceRestricted: true,
      focus: "Encounter",
      patient: "exactly-one",
    },
  ),
  medcom(
    "homecare-observation",
    "homecareobservation-message",
    "HomeCareObservation",
    "homecareobservation/StructureDefinition/medcom-homecareobservation-message",
    {
      activities: HOMECARE_OBSERVATION_ACTIVITIES,
      allProvenanceRestricted: true,
      focus: "DiagnosticReport",
      patient: "exactly-one",
      definition: HOMECARE_OBSERVATION_DEFINITION,
      earlierReleases: [HOMECARE_OBSERVATION_PILOT],
    },
  ),
  medcom(
    "acknowledgement",
    "acknowledgement-message",
    "Acknowledgement",
    "acknowledgement/StructureDefinition/medcom-messaging-acknowledgement",
    {
      activities: new Set(["acknowledgement"]),
      allProvenanceRestricted: false,
      patient: "optional",
    },
  ),
  medcom("empty", "empty-message", "EmptyMessage", "messaging/StructureDefinition/medcom-messaging-message", {
    activities: GENERIC_ACTIVITIES,
    allProvenanceRestricted: false,
    patient: "optional",
  }),
  carehub(
    "referral",
    "carehub-Referral",
    ["new-message", "modified-message", "retract-message", "forward-message"],
    "ServiceRequest",
    "exactly-one",
  ),
  carehub(
    "task-requisition",
    "carehub-TaskRequisition",
    ["new-message", "modified-message", "retract-message"],
    "Task",
    "exactly-one",
  ),
  carehub(
    "notification",
    "carehub-Notification",
    ["new-message", "modified-message", "retract-message"],
    "Communication",
    "optional",
  ),
  carehub(
    "lab-result",
    "carehub-LabResult",
    ["new-message", "modified-message", "retract-message"],
    "DiagnosticReport",
    "exactly-one",
  ),
  carehub(
    "status-update",
    "carehub-StatusUpdate",
    ["new-message", "reply-message", "modified-message"],
    undefined,
    "optional",
  ),
];

const BY_EVENT = new Map(MESSAGE_PROFILES.map((p) => [`${p.eventSystem}|${p.eventCode}`, p]));
const BY_KIND = new Map(MESSAGE_PROFILES.map((p) => [p.kind, p]));

export function profileForEvent(system: string | undefined, code: string | undefined): MessageProfile | undefined {
  return BY_EVENT.get(`${system}|${code}`);
}

export function profileForKind(kind: FhirMessageKind): MessageProfile {
  const profile = BY_KIND.get(kind);
  if (profile === undefined) throw new Error(`no FHIR profile for kind ${kind}`);
  return profile;
}

/** The CareCommunication profiles its MessageHeader (CC-1) and every Provenance (CC-3) must declare. */
export const CC_PROFILES = {
  header: "http://medcomfhir.dk/ig/carecommunication/StructureDefinition/medcom-careCommunication-messageHeader",
  provenance: "http://medcomfhir.dk/ig/carecommunication/StructureDefinition/medcom-careCommunication-provenance",
} as const;
