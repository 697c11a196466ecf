import { buildAcknowledgement, serializeFhirXml } from "@carehub/medcom-fhir";
import { buildReceipt, encodeXmlText, REFUSE_CODE_FOR, REFUSE_CODES, type RefuseCode } from "@carehub/medcom-xml";
import type { Endpoint, HubIdentity, MessageKind, Party, ValidationIssue, WireFormat } from "@carehub/schemas";
import { CONTENT_TYPES } from "@carehub/schemas";
import { negativeAcknowledgementIds } from "./acknowledgement-ids.ts";

/** What must be known of a rejected message to answer it: a parsed Envelope, or the partial of a failed parse. */
export interface AnsweredMessage {
  kind?: MessageKind | undefined;
  format?: WireFormat | undefined;
  messageId?: string | undefined;
  envelopeId?: string | undefined;
  /** For OIOXML: the letter's version code (e.g. XR0131K), echoed as OriginalVersionCode. */
  standardVersion?: string | undefined;
  receivers?: Party[] | undefined;
}

export interface NegativeAcknowledgementRequest {
  originalHubId: string;
  message: AnsweredMessage;
  /** The authenticated source endpoint: the answer goes to it, whatever the message claims. */
  source: Endpoint;
  hub: HubIdentity;
  issues: ValidationIssue[];
  /**
   * Answer even an acknowledgement: one the hub refused as a fact its sender had no part in (not a receiver
   * of what it acknowledges). The one exception to MedCom KR2, so that sender learns it was not believed; the
   * answer is itself an acknowledgement, which nobody answers, so nothing loops.
   */
  answerAcknowledgement?: boolean | undefined;
}

/** Everything needed to build the answer; pure data. */
export interface NegativeAcknowledgementPlan {
  format: WireFormat;
  originalHubId: string;
  original: { messageId: string; envelopeId?: string; versionCode?: string; receivers: Party[] };
  /** The source endpoint as a party. */
  to: Party;
  /** The hub itself: the acknowledging party. */
  from: Party;
  issues: ValidationIssue[];
}

/** Why no negative acknowledgement is sent. */
export type NoAnswer =
  /** MedCom KR2: an acknowledgement (or receipt) is never answered. */
  | { reason: "is-acknowledgement" }
  /** Too little of the message could be read to refer to it. */
  | { reason: "unanswerable"; detail: string };

/** The negative acknowledgement, ready for `<ns>.outbox.<source endpoint>`. */
export interface NegativeAcknowledgement {
  hubId: string;
  /** Its MessageHeader.id (FHIR) or letter id (OIOXML). */
  messageId: string;
  contentType: string;
  bytes: Uint8Array;
}

const DEFAULT_FHIR_ISSUE_CODE = "MSG_BAD_FORMAT";

/**
 * Decides whether and how the hub answers a message it rejected (intake: invalid; router: unknown receiver,
 * kind not accepted). The answer goes to the authenticated source endpoint and comes from the hub. Every
 * FHIR message except an acknowledgement gets one; an OIOXML letter gets a negative receipt (XCTL02)
 * whenever it is refused, whatever its AcknowledgementCode says (that only asks for positive receipts).
 */
export function planNegativeAcknowledgement(
  request: NegativeAcknowledgementRequest,
): NegativeAcknowledgementPlan | NoAnswer {
  const { message, source, hub } = request;
  if (message.kind === "acknowledgement" && request.answerAcknowledgement !== true) {
    return { reason: "is-acknowledgement" };
  }
  if (message.format === undefined) return { reason: "unanswerable", detail: "the message format is unknown" };
  if (message.messageId === undefined || message.messageId === "") {
    return {
      reason: "unanswerable",
      detail: "the message id could not be read, so no acknowledgement can refer to it",
    };
  }
  const to = endpointParty(source);
  if (message.format === "oioxml") {
    if (message.envelopeId === undefined) {
      return { reason: "unanswerable", detail: "the envelope id could not be read, so no receipt can refer to it" };
    }
    if (to.gln === undefined) {
      return { reason: "unanswerable", detail: `endpoint ${source.id} has no GLN to address a receipt to` };
    }
  }
  const from: Party = { sor: hub.sor, gln: hub.gln, name: hub.name };
  return {
    format: message.format,
    originalHubId: request.originalHubId,
    original: {
      messageId: message.messageId,
      ...(message.envelopeId === undefined ? {} : { envelopeId: message.envelopeId }),
      ...(message.standardVersion === undefined ? {} : { versionCode: message.standardVersion }),
      receivers: message.receivers && message.receivers.length > 0 ? message.receivers : [from],
    },
    to,
    from,
    issues: request.issues,
  };
}

/**
 * Builds the answer with the MedCom builders: a FHIR Acknowledgement `fatal-error` with one issue per
 * problem (in the sender's FHIR encoding), or an XCTL02 negative receipt. Pure: ids derive from the
 * original hub id, time from `now`. Throws the builders' errors on input they cannot build.
 */
export function buildNegativeAcknowledgement(plan: NegativeAcknowledgementPlan, now: Date): NegativeAcknowledgement {
  const ids = negativeAcknowledgementIds(plan.originalHubId);
  if (plan.format === "oioxml") {
    const xml = buildReceipt({
      type: "XCTL02",
      original: {
        envelopeId: plan.original.envelopeId ?? "",
        letterId: plan.original.messageId,
        ...(plan.original.versionCode === undefined ? {} : { versionCode: plan.original.versionCode }),
        sender: plan.to,
        // The hub refuses the letter as its receiving system, so the receipt comes from the hub.
        receiver: plan.from,
      },
      refuseCode: refuseCodeFor(plan.issues),
      refuseText: refuseText(plan.issues),
      ids: { envelopeId: ids.envelopeId, letterId: ids.letterId },
      now,
    });
    return { hubId: ids.hubId, messageId: ids.letterId, contentType: CONTENT_TYPES.oioxml, bytes: encodeXmlText(xml) };
  }
  const built = buildAcknowledgement({
    original: { messageId: plan.original.messageId, sender: plan.to, receivers: plan.original.receivers },
    acknowledger: plan.from,
    code: "fatal-error",
    issues: plan.issues.map((issue) => ({
      code: issue.medcomCode ?? DEFAULT_FHIR_ISSUE_CODE,
      text: `${issue.path}: ${issue.message}`,
      severity: "error" as const,
    })),
    ids: { bundleId: ids.bundleId, messageHeaderId: ids.hubId },
    now: now.toISOString(),
  });
  // Answer in the sender's own wire form.
  const text = plan.format === "fhir+xml" ? serializeFhirXml(built.bundle) : built.json;
  return {
    hubId: ids.hubId,
    messageId: ids.hubId,
    contentType: CONTENT_TYPES[plan.format],
    bytes: new TextEncoder().encode(text),
  };
}

function endpointParty(endpoint: Endpoint): Party {
  const sor = endpoint.identifiers.sor[0];
  const gln = endpoint.identifiers.gln[0];
  return {
    ...(sor === undefined ? {} : { sor }),
    ...(gln === undefined ? {} : { gln }),
    ...(endpoint.identifiers.ydernummer === undefined ? {} : { ydernummer: endpoint.identifiers.ydernummer }),
    name: endpoint.name,
  };
}

/**
 * The XCTL02 RefuseCode: the first issue that names one decides — an issue whose MedCom code is a refuse
 * code, one the OIOXML parser maps, or a routing problem (recognised by its MedCom issue code).
 */
export function refuseCodeFor(issues: readonly ValidationIssue[]): RefuseCode {
  for (const issue of issues) {
    if ((REFUSE_CODES as readonly string[]).includes(issue.medcomCode ?? "")) return issue.medcomCode as RefuseCode;
    const mapped = (REFUSE_CODE_FOR as Readonly<Record<string, RefuseCode>>)[issue.code];
    if (mapped !== undefined) return mapped;
    switch (issue.medcomCode) {
      case "MSG_Receiver_Identifier_UNKNOWN":
        return "ukendt_lokationsnummer";
      case "MSG_Receiver_Identifier_MISSING":
      case "MSG_RECEIVER_UNABLE_TO_RECEIVE_MSG_TYPE":
        return "problem_med_modtagerID";
    }
  }
  return "ikke_specificeret";
}

/** The receipt's RefuseText: every issue, briefly. */
function refuseText(issues: readonly ValidationIssue[]): string {
  const text = issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ");
  return text.length > 1000 ? `${text.slice(0, 997)}...` : text;
}
