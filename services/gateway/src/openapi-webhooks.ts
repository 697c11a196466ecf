import { ACCEPTED_MEDIA_TYPES } from "./media-type.ts";

type JsonObject = Record<string, unknown>;

/**
 * Where the gateway is reached: a server URL with variables, so a generated client or a documentation viewer
 * points at a site's own hub (default: the development address).
 */
export const OPENAPI_SERVERS: readonly JsonObject[] = [
  {
    url: "{scheme}://{host}",
    description: "a carehub gateway (CAREHUB_HTTP_HOST / CAREHUB_HTTP_PORT, usually behind a TLS proxy)",
    variables: {
      scheme: { default: "http", enum: ["http", "https"], description: "https in production" },
      host: { default: "127.0.0.1:8080", description: "host[:port] of the gateway" },
    },
  },
];

const header = (name: string, description: string, required: boolean, schema: JsonObject = { type: "string" }) => ({
  name,
  in: "header",
  required,
  description,
  schema,
});

const SIGNATURE_SCHEME =
  "Signed per Standard Webhooks (docs/decisions/0010) when the endpoint's registry entry has " +
  '`delivery.signing`: `webhook-signature` holds `v1,<base64 HMAC-SHA256(key, "<webhook-id>.<webhook-timestamp>.<body>")>` ' +
  "for each of the endpoint's secrets, space-separated (two during a rotation); the key is the base64 after " +
  "`whsec_`, the body the exact bytes received. Verify on the raw body, refuse a timestamp more than 5 minutes " +
  "off your clock, accept when any v1 signature matches (constant-time comparison); `@carehub/client`'s " +
  "`createWebhookHandler({ signingSecrets })` does all of it. Endpoints without signing get no `webhook-*` headers.";

/**
 * The signed deliveries the dispatcher POSTs to an endpoint in webhook mode (OpenAPI 3.1 `webhooks`), as
 * docs/contracts.md "HTTP, hub → endpoint" and docs/decisions/0010 describe them: headers, signature scheme,
 * and what each answer makes the hub do.
 */
export function webhooksSection(errorSchema: JsonObject): JsonObject {
  const body = Object.fromEntries(
    Object.keys(ACCEPTED_MEDIA_TYPES).map((type) => [
      type,
      { schema: { type: "string", description: "the MedCom message byte for byte, as the sender sent it" } },
    ]),
  );
  const answer = (description: string) => ({ description });
  return {
    medcomDelivery: {
      post: {
        operationId: "receiveDelivery",
        summary: "The hub delivers a MedCom message to your endpoint (implement this)",
        description: `${SIGNATURE_SCHEME} Acknowledge the message the MedCom way, by sending an Acknowledgement (or OIOXML receipt) through POST /v1/messages.`,
        security: [],
        parameters: [
          header(
            "webhook-id",
            "the hub id (= Carehub-Hub-Id), the same on every retry: your idempotency key; `<hub id>:resend-<n>` on an operator's re-send (Carehub-Resend)",
            false,
          ),
          header("webhook-timestamp", "the attempt's time in whole unix seconds", false, {
            type: "string",
            pattern: "^[0-9]+$",
          }),
          header("webhook-signature", "`v1,<base64>` signatures, space-separated", false, {
            type: "string",
            pattern: "^v1,[A-Za-z0-9+/=]+( v1,[A-Za-z0-9+/=]+)*$",
          }),
          header("Carehub-Hub-Id", "the hub's id of the message", true, { type: "string", format: "uuid" }),
          header("Carehub-Message-Id", "the sender's message id: drop a repeat you already took", true),
          header("Carehub-Kind", "the message kind, e.g. referral, homecare-observation, acknowledgement", true),
          header("Carehub-Source-Endpoint", "registry id of the sending endpoint (the hub's id for its answers)", true),
          header("Carehub-Attempt", "1-based attempt number at your endpoint over the message's life", true, {
            type: "string",
            pattern: "^[1-9][0-9]*$",
          }),
          header(
            "Carehub-Resend",
            "set on an operator's re-send of a message already delivered to you (n = 1, 2, …; same Carehub-Message-Id): do not process it twice, but acknowledge it again (docs/decisions/0072)",
            false,
            { type: "string", pattern: "^[1-9][0-9]*$" },
          ),
        ],
        requestBody: { required: true, content: body },
        responses: {
          "2XX": answer("delivered: the hub records the delivery and sends no more copies"),
          "401": {
            description:
              "a signature that does not verify (what `@carehub/client` answers): a permanent refusal, dead-lettered " +
              "(CAREHUB_ERR_DELIVERY_HTTP_REFUSED); fix the secrets, then `carehub redrive --endpoint <id>`",
            content: { "application/json": { schema: errorSchema } },
          },
          "408": answer("retried with backoff"),
          "429": answer("retried, no sooner than Retry-After when given"),
          "4XX": answer("any other 4xx: a permanent refusal, dead-lettered (CAREHUB_ERR_DELIVERY_HTTP_REFUSED)"),
          "5XX": answer("retried with backoff (Retry-After honoured); network errors and timeouts likewise"),
        },
      },
    },
  };
}
