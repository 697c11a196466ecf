import { z } from "zod";

/** Every message kind carehub understands. Adding one makes the compiler list every switch to update. */
export const MESSAGE_KINDS = [
  "homecare-observation",
  "lab-result",
  "lab-requisition",
  "referral",
  "task-requisition",
  "notification",
  "status-update",
  "care-communication",
  "hospital-notification",
  "acknowledgement",
  "empty",
  /** A MedCom OIOXML letter the hub routes on its envelope without reading its clinical content. */
  "letter",
] as const;
export const MessageKind = z.enum(MESSAGE_KINDS).describe("The kind of a message, independent of its wire format");
export type MessageKind = z.infer<typeof MessageKind>;

/** Wire formats, each with its HTTP content type. */
export const WIRE_FORMATS = ["fhir+json", "fhir+xml", "oioxml"] as const;
export const WireFormat = z.enum(WIRE_FORMATS);
export type WireFormat = z.infer<typeof WireFormat>;

export const CONTENT_TYPES: Readonly<Record<WireFormat, string>> = {
  "fhir+json": "application/fhir+json",
  "fhir+xml": "application/fhir+xml",
  oioxml: "application/xml",
};

/** Kinds that must never be acknowledged themselves (MedCom KR2). */
export function expectsAcknowledgement(kind: MessageKind): boolean {
  return kind !== "acknowledgement";
}
