import { PermanentError, RetryableError } from "@carehub/schemas";

/** Stable codes the router raises (catalogued in docs/errors.md, stage router). */
export const ROUTER_ERROR_CODES = {
  unknownReceiver: "CAREHUB_ERR_ROUTE_UNKNOWN_RECEIVER",
  kindNotAccepted: "CAREHUB_ERR_ROUTE_KIND_NOT_ACCEPTED",
  payloadMissing: "CAREHUB_ERR_ROUTE_PAYLOAD_MISSING",
  stateUnavailable: "CAREHUB_ERR_ROUTE_STATE_UNAVAILABLE",
  waitingForOriginal: "CAREHUB_ERR_ROUTE_WAITING_FOR_ORIGINAL",
  /** An acknowledgement from an endpoint the hub never delivered the acknowledged message to (fact-authority.ts). */
  ackNotAReceiver: "CAREHUB_ERR_ROUTE_ACK_NOT_A_RECEIVER",
  /** A correction or retraction of a message another endpoint sent (fact-authority.ts). */
  correctionNotOriginalSender: "CAREHUB_ERR_ROUTE_CORRECTION_NOT_ORIGINAL_SENDER",
} as const;

/** The MedCom acknowledgement issue-details codes the router answers with. */
export const MEDCOM_ISSUE_CODES = {
  receiverUnknown: "MSG_Receiver_Identifier_UNKNOWN",
  receiverUnableToReceiveType: "MSG_RECEIVER_UNABLE_TO_RECEIVE_MSG_TYPE",
  /** No message matches the one referred to: the nearest MedCom code for a fact stated without a part in it. */
  noMatch: "MSG_NO_MATCH",
} as const;

/** The raw bytes an envelope points at are not in INGRESS (expired or purged): nothing can be delivered. */
export class PayloadMissingError extends PermanentError {
  constructor(stream: string, seq: number, options: { cause?: unknown } = {}) {
    super(ROUTER_ERROR_CODES.payloadMissing, `the message bytes are not in ${stream} at sequence ${seq}`, options);
    this.name = "PayloadMissingError";
  }
}

/** Redis did not answer: routing facts cannot be read or written, so the message waits and is retried. */
export class RouterStateUnavailableError extends RetryableError {
  constructor(operation: string, options: { cause?: unknown } = {}) {
    super(ROUTER_ERROR_CODES.stateUnavailable, `routing state unavailable while ${operation}`, options);
    this.name = "RouterStateUnavailableError";
  }
}
