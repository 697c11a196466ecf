import type { IncomingMessage, ServerResponse } from "node:http";
import { isCarehubError } from "@carehub/schemas";
import {
  isWebhookSignatureError,
  toWebhookSecrets,
  verifyWebhookSignature,
  type WebhookSecretInput,
} from "@carehub/webhook-signature";
import { isRetryable } from "./errors.ts";
import { createReceiver, type Delivery, type Receiver, type ReceiverOptions } from "./receiver.ts";

export interface WebhookHandlerOptions extends ReceiverOptions {
  /** Largest body accepted, in bytes. Default 20 MiB (the gateway's default limit). */
  maxBodyBytes?: number;
  /** Called for every delivery the handler could not take (the hub will redeliver or dead-letter it). */
  onError?: (error: unknown) => void;
  /**
   * The endpoint's webhook signing secrets (`whsec_…`, as in the hub's registry; several during a rotation).
   * When given, a delivery without a valid Standard Webhooks signature, or with a timestamp more than 5 minutes
   * off this machine's clock, is answered 401 `{ code, message }` and never reaches `onMessage`. A malformed
   * secret throws here, at start-up.
   */
  signingSecrets?: readonly WebhookSecretInput[];
}

/** What the handler answers one delivery: an HTTP status and a JSON body. */
export interface WebhookAnswer {
  status: number;
  body: unknown;
}

export type WebhookHandler = ((request: IncomingMessage, response: ServerResponse) => void) & {
  readonly receiver: Receiver;
  /**
   * Answers one delivery whose body was already read (for servers other than node:http, or a front that
   * reads the body first): checks the signature when secrets are set, then receives it.
   */
  answer(body: Uint8Array, headers: IncomingMessage["headers"]): Promise<WebhookAnswer>;
};

/**
 * A node:http request handler for webhook deliveries from the hub (`http.createServer(handler)`).
 * Answers 200 once the message is handled and acknowledged, 503 when the acknowledgement could not be
 * sent (the hub delivers again and the copy gets the same acknowledgement), 400 for bytes that name no
 * message to answer (the hub dead-letters it), 413 past the size limit, and — with `signingSecrets` —
 * 401 for a delivery that is not signed by the hub (the hub dead-letters it: fix the secrets, then redrive).
 */
export function createWebhookHandler(options: WebhookHandlerOptions): WebhookHandler {
  const receiver = createReceiver(options);
  const maxBodyBytes = options.maxBodyBytes ?? 20 * 1024 * 1024;
  const secrets = options.signingSecrets === undefined ? undefined : toWebhookSecrets(options.signingSecrets);

  async function answer(body: Uint8Array, headers: IncomingMessage["headers"]): Promise<WebhookAnswer> {
    if (secrets !== undefined) {
      try {
        // The wall clock, whatever clock the receiver runs on: the tolerance is about real time (replays).
        verifyWebhookSignature({ body, headers, secrets });
      } catch (error) {
        if (!isWebhookSignatureError(error)) throw error;
        options.onError?.(error);
        return { status: 401, body: { code: error.code, message: error.message } };
      }
    }
    try {
      return { status: 200, body: await receiver.receive(deliveryFromHeaders(body, headers)) };
    } catch (error) {
      options.onError?.(error);
      const code = isCarehubError(error) ? error.code : "CAREHUB_ERR_CLIENT_RECEIVER_FAILED";
      const message = error instanceof Error ? error.message : "the receiver failed";
      return { status: isRetryable(error) ? 503 : isCarehubError(error) ? 400 : 500, body: { code, message } };
    }
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method !== "POST") {
      reply(response, 405, { code: "CAREHUB_ERR_CLIENT_METHOD_NOT_ALLOWED", message: "deliveries are POSTed" });
      return;
    }
    const body = await readBody(request, maxBodyBytes);
    if (body === undefined) {
      reply(response, 413, { code: "CAREHUB_ERR_CLIENT_BODY_TOO_LARGE", message: `body over ${maxBodyBytes} bytes` });
      return;
    }
    const answered = await answer(body, request.headers);
    reply(response, answered.status, answered.body);
  }

  const handler = (request: IncomingMessage, response: ServerResponse) => {
    handle(request, response).catch((error: unknown) => {
      options.onError?.(error);
      if (!response.headersSent) reply(response, 500, { code: "CAREHUB_ERR_CLIENT_RECEIVER_FAILED", message: "" });
      else response.destroy();
    });
  };
  return Object.assign(handler, { receiver, answer });
}

function header(headers: IncomingMessage["headers"], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function deliveryFromHeaders(body: Uint8Array, headers: IncomingMessage["headers"]): Delivery {
  const attempt = Number(header(headers, "carehub-attempt"));
  const delivery: Delivery = { body, contentType: header(headers, "content-type") };
  const hubId = header(headers, "carehub-hub-id");
  const messageId = header(headers, "carehub-message-id");
  const kind = header(headers, "carehub-kind");
  const sourceEndpoint = header(headers, "carehub-source-endpoint");
  if (hubId !== undefined) delivery.hubId = hubId;
  if (messageId !== undefined) delivery.messageId = messageId;
  if (kind !== undefined) delivery.kind = kind;
  if (sourceEndpoint !== undefined) delivery.sourceEndpoint = sourceEndpoint;
  if (Number.isInteger(attempt) && attempt > 0) delivery.attempt = attempt;
  return delivery;
}

async function readBody(request: IncomingMessage, limit: number): Promise<Uint8Array | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) {
      request.resume();
      return undefined;
    }
    chunks.push(buffer);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

function reply(response: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  response.end(text);
}
