import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
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
  /** An operator's re-send of a delivered message, its number (sent as Carehub-Resend; docs/decisions/0072). */
  resend?: number;
}

/**
 * The id of one delivery as a receiver deduplicates it (`webhook-id`; the NATS inbox's dedup id): the hub id, the
 * same on every retry and redrive; `<hub id>:resend-<n>` for re-send n, which a receiver must not drop as a repeat.
 */
export function deliveryId(message: Pick<DeliveryMessage, "hubId" | "resend">): string {
  return message.resend === undefined ? message.hubId : `${message.hubId}:resend-${message.resend}`;
}

/** How to sign one attempt (Standard Webhooks); absent for an endpoint without `delivery.signing`. */
export interface DeliverySigning {
  /** One signature per secret (several during a rotation). */
  secrets: readonly WebhookSecret[];
  /** The attempt's time, epoch ms: a retry gets a fresh timestamp, so it is not refused as a replay. */
  at: number;
}

/**
 * How long an idle kept-alive connection to an endpoint waits for the next delivery before it is closed. Node's agent
 * honours a server's `Keep-Alive: timeout=<s>` hint (closing a second before it) only when it is shorter than this,
 * and without it kept an idle connection until the receiver closed it, sometimes just as a delivery went out on it
 * (a network failure, retried as any other). 4 s, as `fetch` (undici) keeps them: under the 5 s after which Node's
 * HTTP servers and many proxies close idle connections. The SDK's transport has its own
 * (packages/client/src/http-transport.ts): it depends on none of the hub's packages.
 */
const IDLE_CONNECTION_MS = 4_000;

// Connections are kept alive and reused per endpoint, as fetch's global pool did. node:http rather than fetch:
// about half the CPU per delivery (docs/performance.md).
const AGENTS: Record<string, HttpAgent> = {
  "http:": new HttpAgent({ keepAlive: true, timeout: IDLE_CONNECTION_MS }),
  "https:": new HttpsAgent({ keepAlive: true, timeout: IDLE_CONNECTION_MS }),
};

/**
 * POSTs the message bytes to a webhook with the contract headers (docs/contracts.md), and with
 * `webhook-id` (`deliveryId`: the hub id, the same on every retry), `webhook-timestamp` and `webhook-signature` over exactly
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
          id: deliveryId(message),
          timestampSeconds: Math.floor(signing.at / 1000),
          body: message.body,
          secrets: signing.secrets,
        });
  try {
    const answer = await post(target, message.body, {
      "content-type": message.contentType,
      "content-length": String(message.body.byteLength),
      "carehub-hub-id": message.hubId,
      "carehub-message-id": message.messageId,
      "carehub-kind": message.kind,
      "carehub-source-endpoint": message.sourceEndpoint,
      "carehub-attempt": String(message.attempt),
      ...(message.resend === undefined ? {} : { "carehub-resend": String(message.resend) }),
      ...signature,
    });
    return classifyHttpStatus(answer.status, answer.retryAfter);
  } catch (error) {
    return networkFailure(error, target.timeoutMs);
  }
}

interface Answer {
  status: number;
  retryAfter: string | undefined;
}

/**
 * One POST within `timeoutMs` overall; resolves with the status once the answer's body was read to the end
 * (so the connection goes back to the pool) — or cut short, which does not change the status. Rejects on a
 * network failure, and with a TimeoutError when no answer came in time.
 */
function post(target: { url: string; timeoutMs: number }, body: Uint8Array, headers: Record<string, string>) {
  return new Promise<Answer>((resolve, reject) => {
    const url = new URL(target.url);
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    const request = send(url, { method: "POST", headers, agent: AGENTS[url.protocol] }, (response) => {
      const status = response.statusCode ?? 0;
      // Node builds `response.headers` from the raw lines when first asked: a delivered message needs none of them.
      const retryAfter = status >= 200 && status < 300 ? undefined : header(response.headers, "retry-after");
      const answer = { status, retryAfter };
      const done = () => {
        clearTimeout(timer);
        resolve(answer);
      };
      response.once("end", done).once("close", done).on("error", done).resume();
    });
    const timer = setTimeout(
      () => request.destroy(new DOMException(`no answer within ${target.timeoutMs} ms`, "TimeoutError")),
      target.timeoutMs,
    );
    request.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    request.end(body);
  });
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
