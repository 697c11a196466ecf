import { z } from "zod";
import { MessageContent } from "./content.ts";
import { MessageRef, Party, PatientIdentifier } from "./identifiers.ts";
import { MessageKind, WireFormat } from "./kinds.ts";

export const SCHEMA_VERSION = 1;

/** Links from a message to earlier ones: the conversation, as the message itself states it. */
export const ConversationLinks = z.object({
  inReplyTo: MessageRef.optional(),
  corrects: MessageRef.optional(),
  retracts: MessageRef.optional(),
  forwards: MessageRef.optional(),
});
export type ConversationLinks = z.infer<typeof ConversationLinks>;

/**
 * What a format package reads out of a message: pure, from the bytes alone.
 * The hub adds where and when it got the message to make the canonical envelope.
 */
export const ParsedMessage = z.object({
  kind: MessageKind,
  format: WireFormat,
  /** The standard and its version as the message declares them, e.g. "XRPT01"/"XR0131K", "HomeCareObservation"/"1.1". */
  standard: z.string(),
  standardVersion: z.string().optional(),
  /** The sender's message id: MessageHeader.id (FHIR) or Letter/Identifier (OIOXML). */
  messageId: z.string().min(1),
  /** The transmission id: Bundle.id (FHIR) or Envelope/Identifier (OIOXML). New on every resend. */
  envelopeId: z.string().optional(),
  sentAt: z.string().optional(),
  sender: Party,
  /** Primary receiver first, then any cc receivers. */
  receivers: z.array(Party).min(1),
  patient: PatientIdentifier.optional(),
  links: ConversationLinks,
  /** Whether the sender expects an acknowledgement (always for FHIR except acks; pluspositivkvitt for OIOXML). */
  ackRequested: z.boolean(),
  content: MessageContent,
});
export type ParsedMessage = z.infer<typeof ParsedMessage>;

/** Where the original bytes are kept: the INGRESS stream is the archive. */
export const PayloadRef = z.object({
  stream: z.string(),
  seq: z.number().int().nonnegative(),
  contentType: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
});
export type PayloadRef = z.infer<typeof PayloadRef>;

/** The canonical envelope on the PIPELINE stream. */
export const Envelope = ParsedMessage.extend({
  schemaVersion: z.literal(SCHEMA_VERSION),
  /** carehub's own id for this message (stable across retries of the same received message). */
  hubId: z.string().min(1),
  /** The registry id of the endpoint that sent it (authenticated, not taken from the message). */
  sourceEndpoint: z.string(),
  receivedAt: z.string(),
  payload: PayloadRef,
  /** Set when this message is a replay of an earlier one. */
  replayOf: z.string().optional(),
});
export type Envelope = z.infer<typeof Envelope>;
