import { z } from "zod";
import type { ParsedMessage } from "./envelope.ts";
import { PermanentError } from "./errors.ts";
import type { Party } from "./identifiers.ts";
import type { MessageKind, WireFormat } from "./kinds.ts";

/**
 * One problem found in a message. `code` is stable (catalogued in docs/errors.md), `path` points into
 * the document (FHIRPath-like for FHIR, element path for XML), `message` is plain language and never
 * quotes patient identifiers.
 */
export const ValidationIssue = z.object({
  code: z.string().regex(/^CAREHUB_ERR_[A-Z0-9_]+$/),
  path: z.string(),
  message: z.string(),
  /** The MedCom acknowledgement issue-details code to send back for this problem, when one fits. */
  medcomCode: z.string().optional(),
});
export type ValidationIssue = z.infer<typeof ValidationIssue>;

/** What could be read from a message even when it failed: enough to record it and answer its sender. */
export interface PartialMessage {
  kind?: MessageKind;
  format?: WireFormat;
  standard?: string;
  messageId?: string;
  envelopeId?: string;
  sender?: Party;
  receivers?: Party[];
  ackRequested?: boolean;
}

export interface ParseSuccess {
  ok: true;
  message: ParsedMessage;
  /** Problems that do not make the message invalid (e.g. a SOR id failing its check digit). */
  warnings: ValidationIssue[];
}
export interface ParseFailure {
  ok: false;
  partial: PartialMessage;
  issues: ValidationIssue[];
}
/** What every parser returns. Parsers are pure and never throw: every failure is a ParseFailure. */
export type ParseResult = ParseSuccess | ParseFailure;

/** A ParseFailure as an error, for code paths that throw (maps to a dead letter / negative ack). */
export class MessageValidationError extends PermanentError {
  readonly issues: ValidationIssue[];
  readonly partial: PartialMessage;

  constructor(failure: ParseFailure) {
    const first = failure.issues[0];
    super(first?.code ?? "CAREHUB_ERR_INVALID_MESSAGE", first ? `${first.path}: ${first.message}` : "invalid message");
    this.name = "MessageValidationError";
    this.issues = failure.issues;
    this.partial = failure.partial;
  }
}
