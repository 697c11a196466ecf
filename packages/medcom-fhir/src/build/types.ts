import type { BusinessStatus, ContentOf, MessageRef, Party, PatientIdentifier } from "@carehub/schemas";
import type { FhirBundle, FhirResource } from "../fhir-json.ts";

/** A MedComMessagingOrganization: the sender or receiver of a message. Both ids are required by MedCom. */
export interface MessagingOrganization {
  sor: string;
  gln: string;
  name?: string;
  /** The GP practice number, for a requesting GP (HomeCareObservation receiver). */
  ydernummer?: string;
}

/**
 * Ids are injected so that builders stay pure. Bundle.id is new on every send (also a resend);
 * MessageHeader.id is new for every new message. Every other resource id defaults to a UUID derived
 * from messageHeaderId and the resource's role, so that the same input always builds the same bytes.
 */
export interface BuildIds {
  bundleId: string;
  messageHeaderId: string;
  /** Override the derived id of a resource, by role (e.g. "provenance", "sender", "patient", "observation-0"). */
  resourceId?: (role: string) => string;
}

/** The earlier message this one answers, corrects, retracts or forwards. */
export interface MessageLink {
  type: "reply" | "forward" | "modified" | "retract";
  /** MessageHeader.id of the earlier FHIR message, or its OIOXML letter id together with `senderGln`. */
  to: MessageRef;
}

export interface PatientInput {
  identifier: PatientIdentifier;
  family?: string;
  given?: string[];
  deceased?: boolean;
}

/** What every message has: ids, clock, parties, and its place in a conversation. */
export interface MessageInput {
  ids: BuildIds;
  /** Bundle.timestamp and the new Provenance's times (ISO 8601 with a time zone). */
  now: string;
  sender: MessagingOrganization;
  receiver: MessagingOrganization;
  link?: MessageLink;
  /** Provenance resources of the earlier messages in the thread, carried over unchanged (MedCom convention). */
  history?: FhirResource[];
}

/** A built message: the Bundle as an object and as the exact JSON text to send. */
export interface BuiltMessage {
  bundle: FhirBundle;
  json: string;
}

export interface PractitionerInput {
  family: string;
  given?: string[];
  /** A MedCom practitioner role code, e.g. "sygeplejerske". */
  role?: string;
  phone?: string;
}

export interface CareCommunicationInput extends MessageInput {
  patient: PatientInput;
  /** The thread id (Communication.identifier), a urn:uuid; kept across replies, new on forward. */
  threadId: string;
  /** A MedCom CareCommunication category code, e.g. "carecoordination". */
  category: string;
  topic?: string;
  /** Only with category regarding-referral. */
  priority?: "routine" | "asap";
  /** The new text segment; earlier segments of a thread are not repeated by this builder. */
  text: string;
  /** Identifier of the text segment (urn:uuid). */
  segmentId: string;
  /** The segment's signature: MedCom requires the author's phone on every text segment. */
  author: PractitionerInput & { phone: string };
}

export interface HomeCareObservationValue {
  quantity?: { value: number; unit: string; code?: string; comparator?: "<" | "<=" | ">=" | ">" };
  string?: string;
}

export interface HomeCareObservationInput extends MessageInput {
  patient: PatientInput;
  /** When this version of the report was made. */
  issued: string;
  conclusion?: string;
  /** false when the citizen withheld consent to sharing: DiagnosticReport.meta.security = R. */
  consentGiven: boolean;
  observations: Array<{
    /** urn:oid:1.2.208.176.2.1 (NPU) or the MedCom observation-codes system. */
    system: string;
    code: string;
    display?: string;
    effective: string;
    value: HomeCareObservationValue;
  }>;
  /** The practitioner who made the observations; MedCom requires a role code, a name and a phone (homecareReport-1/2/3). */
  performer: PractitionerInput & { role: string; phone: string };
}

export type HospitalNotificationActivity =
  | "admit-emergency"
  | "revise-admit-emergency"
  | "cancel-admit-emergency"
  | "admit-inpatient"
  | "revise-admit-inpatient"
  | "cancel-admit-inpatient"
  | "start-leave-inpatient"
  | "revise-start-leave-inpatient"
  | "cancel-start-leave-inpatient"
  | "end-leave-inpatient"
  | "revise-end-leave-inpatient"
  | "cancel-end-leave-inpatient"
  | "discharge-emergency-home"
  | "discharge-inpatient-home"
  | "revise-discharge-emergency-home"
  | "revise-discharge-inpatient-home"
  | "cancel-discharge-emergency-home"
  | "cancel-discharge-inpatient-home";

export interface HospitalNotificationInput extends MessageInput {
  /** Must carry an official CPR number. */
  patient: PatientInput;
  activity: HospitalNotificationActivity;
  encounter: {
    class: "IMP" | "EMER";
    status: "in-progress" | "onleave" | "finished" | "entered-in-error";
    /** A local episode-of-care id (UUID); its system is the sender's SOR URL. */
    episodeOfCareId: string;
    start: string;
    end?: string;
    leaveStart?: string;
    leaveEnd?: string;
  };
}

export interface ReferralInput extends MessageInput {
  patient: PatientInput;
  referral: {
    /** The referral's business id (ServiceRequest.identifier), stable across its status updates. */
    id: string;
    category: ContentOf<"referral">["category"];
    priority?: "routine" | "urgent" | "asap" | "stat";
    /** An SKS diagnosis code, e.g. "DJ449". */
    reasonCode?: string;
    description?: string;
    authoredOn?: string;
    /** The package referral (pakkehenvisning) this referral belongs to: its referral id (ServiceRequest.basedOn). */
    packageReferralId?: string;
  };
}

export interface TaskRequisitionInput extends MessageInput {
  patient: PatientInput;
  task: {
    /** The task's business id (Task.identifier), stable across its status updates. */
    id: string;
    /** What is asked for (a carehub task code or local code). */
    code: string;
    description?: string;
    /** The date (or date-time) the task should be done by. */
    dueDate?: string;
    /** The package referral this task belongs to: its referral id (Task.basedOn). */
    packageReferralId?: string;
  };
}

export interface NotificationInput extends MessageInput {
  patient?: PatientInput;
  topic: string;
  text?: string;
  /** After this instant (ISO 8601 with a zone) the hub does not deliver it any more (dead-lettered as expired). */
  expiresAt?: string;
}

export interface StatusSubject {
  type: "referral" | "task" | "appointment";
  id: string;
}

export interface StatusUpdateInput extends MessageInput {
  patient?: PatientInput;
  subject: StatusSubject;
  /** For an appointment: the referral or task it was booked for. */
  basedOn?: StatusSubject;
  status: BusinessStatus;
  /** When the status changed at the source. */
  occurredAt: string;
  appointment?: { start: string; end?: string };
  /** For `planned`: the expected window (carehub-status-change `plannedWindow`, a Period). */
  plannedWindow?: { start: string; end?: string };
  reason?: string;
}

export type AcknowledgementIssueSeverity = "error" | "fatal" | "warning" | "information";

export interface AcknowledgementInput {
  original: {
    messageId: string;
    sender: Party;
    receivers: Party[];
    /** The original MessageHeader.source.endpoint: where the acknowledgement goes. */
    sourceEndpointUrl?: string;
    /** The original message's Provenance resources, copied into the acknowledgement. */
    provenance?: unknown[];
  };
  /** Who acknowledges: the original (primary) receiver, or the hub. */
  acknowledger: Party;
  code: "ok" | "transient-error" | "fatal-error";
  issues?: Array<{ code: string; text: string; severity?: AcknowledgementIssueSeverity }>;
  ids: BuildIds;
  now: string;
}

/** One analysis result of a practice's lab result (an NPU-coded Observation). */
export interface LabResultObservation {
  /** NPU code, e.g. NPU19748 (C-reactive protein). */
  npu: string;
  display?: string;
  status: "final" | "preliminary" | "corrected" | "amended" | "entered-in-error";
  /** When the sample was measured (Observation.effectiveDateTime). */
  effective: string;
  value: HomeCareObservationValue;
  referenceRange?: { low?: number; high?: number; unit?: string };
  /** An observation-interpretation code: H, HH, L, LL, A, N. */
  interpretation?: string;
  note?: string;
  /** Who measured it: the sending practice (default) or another organization (a lab the practice received it from). */
  performer?: MessagingOrganization;
}

/**
 * A practice's own lab result (carehub lab-result profile). `link` `modified` makes it a correction of an earlier
 * message; `consentGiven: false` marks the report restricted (meta.security R), as HomeCareObservation does.
 */
export interface LabResultInput extends MessageInput {
  patient: PatientInput;
  /** When this version of the report was released. */
  issued: string;
  status: "final" | "partial" | "preliminary" | "corrected" | "amended" | "entered-in-error";
  consentGiven: boolean;
  /** The practice's sample number: the same in a correction as in the original. */
  specimen: { identifier: string; collected?: string };
  observations: LabResultObservation[];
}
