import { z } from "zod";

/**
 * The normalised content of each message kind: what the hub needs to route, track and show a message,
 * not a copy of the clinical payload (that stays in INGRESS, byte for byte).
 */

export const HomecareObservationContent = z.object({
  kind: z.literal("homecare-observation"),
  reportStatus: z.string(),
  /** false when the citizen withheld consent (DiagnosticReport.meta.security R). */
  consentGiven: z.boolean(),
  observations: z.array(z.object({ system: z.string(), code: z.string(), value: z.string().optional() })),
});

export const LabResultContent = z.object({
  kind: z.literal("lab-result"),
  /** XRPT01, XRPT05, ... for an OIOXML letter; `carehub-lab-result` for a practice's FHIR lab result. */
  letterType: z.string(),
  /** del_svar | komplet_svar | modtaget, when given. */
  reportStatus: z.string().optional(),
  /** null when the letter says nothing about consent (then it counts as given). */
  consentGiven: z.boolean().nullable(),
  /** true when any result is svar_rettet or the letter is rettetbrev. */
  corrected: z.boolean(),
  sampleId: z.string().optional(),
  results: z.array(
    z.object({
      analysisCode: z.string(),
      status: z.string().optional(),
      value: z.string().optional(),
      unit: z.string().optional(),
      /**
       * FHIR lab results only: whether the sender measured it itself (the Observation's performer is the sending
       * organization). false for a result it received from a lab and passes on. Absent in OIOXML letters.
       */
      producedBySender: z.boolean().optional(),
    }),
  ),
});

export const LabRequisitionContent = z.object({
  kind: z.literal("lab-requisition"),
  letterType: z.string(),
  consentGiven: z.boolean().nullable(),
});

export const ReferralCategory = z.enum([
  "hospital",
  "municipal",
  "package-kol",
  "package-low-back-pain",
  "private-specialist",
  "physiotherapy",
  "other",
]);
export const ReferralContent = z.object({
  kind: z.literal("referral"),
  /** The referral's business id (ServiceRequest identifier, or the OIOXML letter id). */
  referralId: z.string(),
  category: ReferralCategory,
  priority: z.string().optional(),
  reasonCode: z.string().optional(),
  /**
   * The package referral (pakkehenvisning) this referral belongs to: its referral id (FHIR
   * `ServiceRequest.basedOn`, a logical reference in the referral-id naming system). Joins the package's course
   * when the sender is a party of that package referral (docs/contracts.md, "Package courses").
   */
  packageReferralId: z.string().optional(),
});

export const TaskRequisitionContent = z.object({
  kind: z.literal("task-requisition"),
  taskId: z.string(),
  code: z.string(),
  description: z.string().optional(),
  dueDate: z.string().optional(),
  /** The package referral this task belongs to (FHIR `Task.basedOn`); as on ReferralContent. */
  packageReferralId: z.string().optional(),
});

/**
 * A notification (advisering): a tap on the shoulder that expects no business reply and never goes stale.
 * `expiresAt` (ISO 8601 with a zone, from the carehub-notification-expires extension): after it, the dispatcher
 * dead-letters the copy as expired instead of delivering it late.
 */
export const NotificationContent = z.object({
  kind: z.literal("notification"),
  topic: z.string(),
  expiresAt: z.string().optional(),
});

/** What a status update is about. */
export const StatusSubjectType = z.enum(["referral", "task", "appointment"]);
/**
 * The business statuses that flow back to the originating practice. One vocabulary for all three subjects;
 * each subject's state machine decides which transitions are allowed (packages/store, state-machines.ts).
 * `sent` (a referral) and `requested` (a task requisition) are the states the originating message itself
 * creates; they were added after the first version, at the end, so existing values keep their meaning.
 */
export const BusinessStatus = z.enum([
  "received",
  "accepted",
  "rejected",
  "in-progress",
  "booked",
  "rescheduled",
  "cancelled",
  "completed",
  "no-show",
  "deleted",
  "sent",
  "requested",
  /** Agreed with the patient, not yet booked; carries the expected window (`plannedWindow`). Issue 12. */
  "planned",
]);
export type BusinessStatus = z.infer<typeof BusinessStatus>;
export const StatusUpdateContent = z.object({
  kind: z.literal("status-update"),
  subject: z.object({ type: StatusSubjectType, id: z.string() }),
  /** The referral or task this is about, when the subject is an appointment. */
  basedOn: z.object({ type: StatusSubjectType, id: z.string() }).optional(),
  status: BusinessStatus,
  /** When the status changed at the source (not when the message was sent). */
  occurredAt: z.string(),
  appointment: z.object({ start: z.string(), end: z.string().optional() }).optional(),
  /** For `planned`: the window in which the activity is expected to take place (not a booked time). */
  plannedWindow: z.object({ start: z.string(), end: z.string().optional() }).optional(),
  reason: z.string().optional(),
});

/** One CareCommunication segment (payload) without its content: enough to show a thread, no patient data. */
export const CareCommunicationSegment = z.object({
  /** The segment identifier (a urn:uuid); replies and forwards repeat earlier segments under the same id. */
  id: z.string(),
  type: z.enum(["text", "attachment"]),
  /** When the segment was written (its date extension). */
  writtenAt: z.string().optional(),
  /** SOR id of the organization that assigned the segment id: the author's side of the conversation. */
  authorOrganizationSor: z.string().optional(),
  /** An attachment's media type (a link attachment may have none). */
  contentType: z.string().optional(),
});
export type CareCommunicationSegment = z.infer<typeof CareCommunicationSegment>;

export const CareCommunicationContent = z.object({
  kind: z.literal("care-communication"),
  threadId: z.string(),
  category: z.string(),
  priority: z.string().optional(),
  topic: z.string().optional(),
  /** Number of text and attachment segments, the thread's earlier ones included (= segments.length). */
  segmentCount: z.number().int().nonnegative().optional(),
  /** The segments in message order. Absent in envelopes made before carehub read them. */
  segments: z.array(CareCommunicationSegment).optional(),
});

export const HospitalNotificationContent = z.object({
  kind: z.literal("hospital-notification"),
  encounterClass: z.string(),
  encounterStatus: z.string(),
  activity: z.string(),
  deceased: z.boolean(),
});

export const AcknowledgementCode = z.enum(["ok", "transient-error", "fatal-error"]);
export type AcknowledgementCode = z.infer<typeof AcknowledgementCode>;
export const AcknowledgementContent = z.object({
  kind: z.literal("acknowledgement"),
  code: AcknowledgementCode,
  /** The MessageHeader.id / letter id of the message acknowledged. */
  respondsTo: z.string(),
  issues: z.array(z.object({ severity: z.string(), code: z.string(), text: z.string().optional() })),
});

export const EmptyContent = z.object({ kind: z.literal("empty") });

/** The MedCom OIOXML letter families (packages/medcom-xml, letter-types.ts, classifies every letter type). */
export const LetterFamily = z.enum([
  "discharge",
  "admission",
  "correspondence",
  "report",
  "prescription",
  "invoice",
  "binary",
  "register",
  "other",
]);
/**
 * A letter routed on its envelope: carehub records which letter it was, not its clinical content.
 * `corrected` / `cancelled` come from Letter/StatusCode (rettetbrev / annulleretbrev).
 */
export const LetterContent = z.object({
  kind: z.literal("letter"),
  /** The StatisticalCode, e.g. XDIS01. */
  letterType: z.string(),
  family: LetterFamily,
  corrected: z.boolean(),
  cancelled: z.boolean(),
});

export const MessageContent = z.discriminatedUnion("kind", [
  HomecareObservationContent,
  LabResultContent,
  LabRequisitionContent,
  ReferralContent,
  TaskRequisitionContent,
  NotificationContent,
  StatusUpdateContent,
  CareCommunicationContent,
  HospitalNotificationContent,
  AcknowledgementContent,
  EmptyContent,
  LetterContent,
]);
export type MessageContent = z.infer<typeof MessageContent>;
export type ContentOf<K extends MessageContent["kind"]> = Extract<MessageContent, { kind: K }>;
