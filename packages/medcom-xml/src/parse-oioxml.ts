import type {
  ConversationLinks,
  MessageContent,
  ParsedMessage,
  ParseResult,
  PartialMessage,
  ValidationIssue,
} from "@carehub/schemas";
import { OIOXML_ERROR_CODES } from "./codes.ts";
import { type DecodeResult, decodeXmlBytes } from "./decode.ts";
import { oioxmlIssue } from "./issue.ts";
import {
  readBookingConfirmation,
  readEnvelopeLetter,
  readLabRequisition,
  readLabResult,
  readReferral,
} from "./letter-content.ts";
import { type LetterType, letterTypeFor, OIOXML_NAMESPACE } from "./letter-types.ts";
import { type ParseLimits, resolveLimits } from "./limits.ts";
import {
  type LetterFields,
  readEnvelope,
  readLetterHeader,
  readParty,
  readPatient,
  readReceivers,
} from "./read-header.ts";
import { readReceipt } from "./receipt-content.ts";
import { checkValuesEverywhere } from "./value-checks.ts";
import {
  breaksAsNewlines,
  childNames,
  childOf,
  childrenOf,
  type ForbiddenMarkup,
  forbiddenMarkup,
  forbiddenMarkupOf,
  parseXmlTree,
  type XmlElement,
} from "./xml-tree.ts";

export interface OioxmlParseOptions {
  limits?: Partial<ParseLimits>;
  /** `decodeXmlBytes(input)`, when the caller has it already (intake reads a letter twice: decision 0106). */
  decoded?: DecodeResult;
}

function failure(partial: PartialMessage, issues: ValidationIssue[]): ParseResult {
  return { ok: false, partial: { format: "oioxml", ...partial }, issues };
}

function byteLength(input: Uint8Array | string, maxBytes: number): number {
  if (typeof input !== "string") return input.byteLength;
  // A UTF-16 code unit is at most 3 UTF-8 bytes: only count when the cheap bound is not enough.
  return input.length * 3 <= maxBytes ? input.length : Buffer.byteLength(input, "utf8");
}

/**
 * Parses and validates one MedCom OIOXML letter (Emessage) into the hub's ParsedMessage. Pure, and never
 * throws: every problem is a ParseFailure with stable codes, element paths and the XCTL refuse code to use.
 */
export function parseOioxmlMessage(input: Uint8Array | string, options: OioxmlParseOptions = {}): ParseResult {
  try {
    return parse(input, resolveLimits(options.limits), options.decoded);
  } catch {
    // A bug here must not take down the caller; the message is reported, not the input.
    return failure({}, [oioxmlIssue(OIOXML_ERROR_CODES.INTERNAL, "", "the letter could not be parsed")]);
  }
}

function parse(input: Uint8Array | string, limits: ParseLimits, given: DecodeResult | undefined): ParseResult {
  if (byteLength(input, limits.maxBytes) > limits.maxBytes) {
    return failure({}, [
      oioxmlIssue(OIOXML_ERROR_CODES.TOO_LARGE, "", `the letter is larger than the limit of ${limits.maxBytes} bytes`),
    ]);
  }
  let text: string;
  let markup: ForbiddenMarkup;
  if (typeof input === "string") {
    text = input;
    markup = forbiddenMarkup(text);
  } else {
    const decoded = given ?? decodeXmlBytes(input);
    if (!decoded.ok) return failure({}, [decoded.issue]);
    text = decoded.text;
    markup = forbiddenMarkupOf(decoded);
  }
  // The scans' answer is the decoding's, shared with the header read when intake gives both the same decoding.
  const tree = parseXmlTree(breaksAsNewlines(text), limits.maxDepth, markup);
  if (!tree.ok) return failure({}, [tree.issue]);
  if (tree.rootName !== "Emessage") {
    return failure({}, [
      oioxmlIssue(OIOXML_ERROR_CODES.NOT_EMESSAGE, tree.rootName, "the root element of a MedCom letter is Emessage"),
    ]);
  }
  if (tree.namespace === undefined || !OIOXML_NAMESPACE.test(tree.namespace)) {
    return failure({}, [
      oioxmlIssue(
        OIOXML_ERROR_CODES.NAMESPACE,
        "Emessage",
        "Emessage is not in a MedCom OIOXML namespace (http://rep.oio.dk/[sundcom.dk/]medcom.dk/xml/schemas/<date>/)",
      ),
    ]);
  }
  return parseEmessage(tree.root);
}

function findLetter(emessage: XmlElement): { type: LetterType; element: XmlElement } | ValidationIssue {
  const letters = childNames(emessage).filter((name) => name !== "Envelope");
  const name = letters[0];
  const elements = name === undefined ? [] : childrenOf(emessage, name);
  const element = elements[0];
  const type = name === undefined ? undefined : letterTypeFor(name);
  if (letters.length !== 1 || elements.length !== 1 || element === undefined) {
    return oioxmlIssue(OIOXML_ERROR_CODES.UNSUPPORTED_LETTER, "Emessage", "an Emessage holds exactly one letter");
  }
  if (type === undefined) {
    return oioxmlIssue(
      OIOXML_ERROR_CODES.UNSUPPORTED_LETTER,
      `Emessage/${name}`,
      `${name} is not a MedCom OIOXML letter type (see docs/oioxml-letters.md)`,
    );
  }
  return { type, element };
}

function parseEmessage(emessage: XmlElement): ParseResult {
  const issues: ValidationIssue[] = [];
  const warnings: ValidationIssue[] = [];
  const envelope = readEnvelope(emessage, issues);
  const found = findLetter(emessage);
  if ("code" in found) {
    issues.push(found);
    return failure({ ...(envelope.envelopeId === undefined ? {} : { envelopeId: envelope.envelopeId }) }, issues);
  }
  const { type, element } = found;
  const path = `Emessage/${type.element}`;
  const header = readLetterHeader(element, path, type, issues);
  const sender = readParty(
    childOf(element, "Sender"),
    `${path}/Sender`,
    { role: "sender", networkIdAllowed: type.receipt === "XCTL01" },
    issues,
  );
  const receivers = readReceivers(element, path, issues);
  const patientFields =
    type.receipt === undefined && !type.noPatient ? readPatient(element, path, issues) : { consentGiven: null };
  checkValuesEverywhere(childOf(emessage, "Envelope"), "Emessage/Envelope", issues);
  checkValuesEverywhere(element, path, issues);

  const { content, links } = readContent(element, type, path, header, envelope.sentAt, patientFields.consentGiven, {
    issues,
    warnings,
  });
  const ackRequested = type.receipt === undefined && envelope.ackRequested;
  const standard = header.statisticalCode ?? type.statisticalCodes[0] ?? type.element;
  if (issues.length > 0 || header.letterId === undefined || sender === undefined || receivers.length === 0) {
    const partial: PartialMessage = { kind: type.kind, standard, ackRequested };
    if (header.letterId !== undefined) partial.messageId = header.letterId;
    if (envelope.envelopeId !== undefined) partial.envelopeId = envelope.envelopeId;
    // Parties are kept as written even when their ids failed a check, so the sender can still be answered.
    if (sender) partial.sender = sender;
    if (receivers.length > 0) partial.receivers = receivers;
    return failure(partial, issues);
  }
  const message: ParsedMessage = {
    kind: type.kind,
    format: "oioxml",
    standard,
    ...(header.versionCode === undefined ? {} : { standardVersion: header.versionCode }),
    messageId: header.letterId,
    ...(envelope.envelopeId === undefined ? {} : { envelopeId: envelope.envelopeId }),
    ...(envelope.sentAt === undefined ? {} : { sentAt: envelope.sentAt }),
    sender,
    receivers,
    ...(patientFields.patient === undefined ? {} : { patient: patientFields.patient }),
    links,
    ackRequested,
    content,
  };
  return { ok: true, message, warnings };
}

/** The kind-specific part of the letter, and the links it states (only receipts name an earlier letter). */
function readContent(
  element: XmlElement,
  type: LetterType,
  path: string,
  header: LetterFields,
  sentAt: string | undefined,
  consentGiven: boolean | null,
  found: { issues: ValidationIssue[]; warnings: ValidationIssue[] },
): { content: MessageContent; links: ConversationLinks } {
  switch (type.reader) {
    case "lab-result":
    case "microbiology-result":
    case "pathology-result":
      return { content: readLabResult(element, path, type, header, consentGiven, found.issues), links: {} };
    case "referral":
      return { content: readReferral(element, type, header), links: {} };
    case "lab-requisition":
      return { content: readLabRequisition(type, header, consentGiven), links: {} };
    case "booking":
      return { content: readBookingConfirmation(element, path, header, sentAt, found.warnings), links: {} };
    case "receipt": {
      const receipt = readReceipt(element, path, type.receipt ?? "XCTL03", found.issues);
      return { content: receipt.content, links: receipt.inReplyTo ? { inReplyTo: receipt.inReplyTo } : {} };
    }
    case "envelope":
      return { content: readEnvelopeLetter(type, header), links: {} };
  }
}
