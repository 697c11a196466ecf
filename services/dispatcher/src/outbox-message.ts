import { OutboxMessageInvalidError } from "./dispatch-errors.ts";

/** OUTBOX headers (docs/contracts.md, "Headers"). */
export const OUTBOX_HEADER = Object.freeze({
  hubId: "Carehub-Hub-Id",
  sourceEndpoint: "Carehub-Source-Endpoint",
  messageId: "Carehub-Message-Id",
  receiver: "Carehub-Receiver",
  kind: "Carehub-Kind",
  after: "Carehub-After",
  contentType: "Content-Type",
  redriveCount: "Carehub-Redrive-Count",
  expires: "Carehub-Expires",
  /** An operator's re-send of a delivered message: its number n (docs/decisions/0072). */
  resend: "Carehub-Resend",
});

/** What the dispatcher reads from one OUTBOX message's headers. */
export interface OutboxHeaders {
  hubId: string;
  sourceEndpoint: string;
  messageId: string;
  receiver: string;
  kind: string;
  contentType: string;
  /** Hub id of the message that must reach this receiver first. */
  after?: string;
  /** How often this copy was re-driven from the dead-letter queue (0: never). */
  redriveCount: number;
  /** When the message stops being worth delivering (ms since the epoch; a notification's expiry). */
  expiresAtMs?: number;
  /**
   * Set on an operator's re-send of a delivered message (1, 2, …): a delivery identity of its own, delivered once
   * under the marker field `d:<receiver>:<n>` (docs/decisions/0072). Absent: the message's ordinary copy.
   */
  resend?: number;
}

/** Reads and checks the contract headers; throws OutboxMessageInvalidError naming every one missing. */
export function readOutboxHeaders(headers: Readonly<Record<string, string>>, endpoint: string): OutboxHeaders {
  const get = (name: string): string | undefined => {
    const value = headers[name];
    return value === undefined || value === "" ? undefined : value;
  };
  const required = [OUTBOX_HEADER.hubId, OUTBOX_HEADER.sourceEndpoint, OUTBOX_HEADER.messageId, OUTBOX_HEADER.kind];
  const missing = required.filter((name) => get(name) === undefined);
  if (missing.length > 0) throw new OutboxMessageInvalidError(`missing header ${missing.join(", ")}`);
  const receiver = get(OUTBOX_HEADER.receiver) ?? endpoint;
  if (receiver !== endpoint) {
    throw new OutboxMessageInvalidError(`addressed to ${receiver} but stored on the OUTBOX subject of ${endpoint}`);
  }
  const after = get(OUTBOX_HEADER.after);
  const redriveCount = Number.parseInt(get(OUTBOX_HEADER.redriveCount) ?? "0", 10);
  const expiresAtMs = Date.parse(get(OUTBOX_HEADER.expires) ?? "");
  const resend = Number.parseInt(get(OUTBOX_HEADER.resend) ?? "", 10);
  return {
    hubId: get(OUTBOX_HEADER.hubId) as string,
    sourceEndpoint: get(OUTBOX_HEADER.sourceEndpoint) as string,
    messageId: get(OUTBOX_HEADER.messageId) as string,
    kind: get(OUTBOX_HEADER.kind) as string,
    receiver,
    contentType: get(OUTBOX_HEADER.contentType) ?? "application/octet-stream",
    ...(after === undefined ? {} : { after }),
    redriveCount: Number.isFinite(redriveCount) ? redriveCount : 0,
    ...(Number.isFinite(expiresAtMs) ? { expiresAtMs } : {}),
    ...(Number.isSafeInteger(resend) && resend > 0 ? { resend } : {}),
  };
}
