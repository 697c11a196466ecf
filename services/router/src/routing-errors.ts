import { PermanentError, RetryableError } from "@carehub/schemas";

/** Stable codes the router raises (catalogued in docs/errors.md, stage router). */
export const ROUTER_ERROR_CODES = {
  unknownReceiver: "CAREHUB_ERR_ROUTE_UNKNOWN_RECEIVER",
  kindNotAccepted: "CAREHUB_ERR_ROUTE_KIND_NOT_ACCEPTED",
  payloadMissing: "CAREHUB_ERR_ROUTE_PAYLOAD_MISSING",
  stateUnavailable: "CAREHUB_ERR_ROUTE_STATE_UNAVAILABLE",
  waitingForOriginal: "CAREHUB_ERR_ROUTE_WAITING_FOR_ORIGINAL",
} as const;

/** The MedCom acknowledgement issue-details codes the router answers with. */
export const MEDCOM_ISSUE_CODES = {
  receiverUnknown: "MSG_Receiver_Identifier_UNKNOWN",
  receiverUnableToReceiveType: "MSG_RECEIVER_UNABLE_TO_RECEIVE_MSG_TYPE",
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
