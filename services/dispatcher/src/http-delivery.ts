import { signWebhook, type WebhookSecret } from "@carehub/webhook-signature";
import { classifyHttpStatus, type DeliveryOutcome, networkFailure } from "./delivery-outcome.ts";

/** One message as the dispatcher hands it to an endpoint. */
export interface DeliveryMessage {
  hubId: string;
  messageId: string;
  kind: string;
  sourceEndpoint: string;
  contentType: string;
  body: Uint8Array;
  /** 1-based attempt number across the message's whole life at this endpoint (sent as Carehub-Attempt). */
  attempt: number;
}

/** How to sign one attempt (Standard Webhooks); absent for an endpoint without `delivery.signing`. */
export interface DeliverySigning {
  /** One signature per secret (several during a rotation). */
  secrets: readonly WebhookSecret[];
  /** The attempt's time, epoch ms: a retry gets a fresh timestamp, so it is not refused as a replay. */
  at: number;
}

/**
 * POSTs the message bytes to a webhook with the contract headers (docs/contracts.md), and with
 * `webhook-id` (the hub id: the same on every retry), `webhook-timestamp` and `webhook-signature` over exactly
 * the bytes sent when the endpoint is signed. Never throws: every failure is an outcome. Redirects are not
 * followed (a POST must not silently turn into a GET).
 */
export async function deliverOverHttp(
  target: { url: string; timeoutMs: number },
  message: DeliveryMessage,
  signing?: DeliverySigning,
): Promise<DeliveryOutcome> {
  const signature =
    signing === undefined || signing.secrets.length === 0
      ? {}
      : signWebhook({
          id: message.hubId,
          timestampSeconds: Math.floor(signing.at / 1000),
          body: message.body,
          secrets: signing.secrets,
        });
  let response: Response;
  try {
    response = await fetch(target.url, {
      method: "POST",
      body: message.body,
      redirect: "manual",
      signal: AbortSignal.timeout(target.timeoutMs),
      headers: {
        "content-type": message.contentType,
        "carehub-hub-id": message.hubId,
        "carehub-message-id": message.messageId,
        "carehub-kind": message.kind,
        "carehub-source-endpoint": message.sourceEndpoint,
        "carehub-attempt": String(message.attempt),
        ...signature,
      },
    });
  } catch (error) {
    return networkFailure(error, target.timeoutMs);
  }
  // Read the body to the end so the connection goes back to the pool.
  try {
    await response.arrayBuffer();
  } catch {
    // The status is what counts; a body cut short does not change it.
  }
  return classifyHttpStatus(response.status, response.headers.get("retry-after"));
}
