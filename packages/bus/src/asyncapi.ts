import { LIFECYCLE_EVENT_TYPES, LifecycleEvent, StatusChangedEvent } from "@carehub/schemas";
import { z } from "zod";
import { HEADER, SCHEMA_VERSION } from "./headers.ts";
import { DEFAULT_RETENTION, topology } from "./topology.ts";

type JsonObject = Record<string, unknown>;

// Subject tokens that stand for a channel parameter while the topology computes an address.
const NAMESPACE_TOKEN = "nsparam";
const ENDPOINT_TOKEN = "endpointparam";
const TYPE_TOKEN = "typeparam";

/** The MedCom encodings, one AsyncAPI message each, by the media type they travel with. */
const MEDCOM_ENCODINGS = {
  FhirJson: { contentType: "application/fhir+json", title: "FHIR JSON" },
  FhirXml: { contentType: "application/fhir+xml", title: "FHIR XML" },
  Oioxml: { contentType: "application/xml", title: "OIOXML (MedCom letters and receipts)" },
} as const;
const MEDCOM_CONTENT_TYPES = Object.values(MEDCOM_ENCODINGS).map((e) => e.contentType);

/** AsyncAPI's default schema format is JSON Schema draft-07 (with its own additions). */
function jsonSchema(schema: z.ZodType): JsonObject {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: "draft-7", unrepresentable: "any" });
  return rest;
}

const text = (description: string, extra: JsonObject = {}) => ({ type: "string", description, ...extra });

/** Headers on what the hub delivers to an endpoint's inbox (docs/contracts.md "Headers"). */
function inboxHeaders(): JsonObject {
  return {
    type: "object",
    required: [HEADER.msgId, HEADER.hubId, "Carehub-Message-Id", HEADER.kind, "Carehub-Source-Endpoint"],
    properties: {
      [HEADER.msgId]: text(
        "dedup id: the hub id (`<hub id>:<n>/<count>` on a part), so a repeat inside the 10-minute window is stored once; " +
          "`<hub id>:resend-<n>` on an operator's re-send (Carehub-Resend)",
      ),
      [HEADER.chunk]: text(
        "`<n>/<count>` on each part of a message too large for one NATS message, delivered as consecutive parts " +
          "with the same headers otherwise: join the payloads of parts 1..count of the same hub id in order " +
          "(@carehub/client's consumeInbox does); absent: the message is whole",
        { pattern: "^[1-9][0-9]*/[1-9][0-9]*$" },
      ),
      "Nats-Expected-Stream": text("JetStream's check that the delivery was stored on the INBOX stream"),
      [HEADER.hubId]: text("the hub's id of the message (UUID)", { format: "uuid" }),
      "Carehub-Message-Id": text("the sender's message id (MessageHeader.id / letter id): drop repeats by it"),
      [HEADER.kind]: text("the message kind, e.g. referral, homecare-observation, acknowledgement"),
      "Carehub-Source-Endpoint": text("registry id of the sending endpoint (the hub's id for the hub's own answers)"),
      "Carehub-Attempt": text("1-based delivery attempt to this endpoint", { pattern: "^[1-9][0-9]*$" }),
      "Carehub-Resend": text(
        "set on an operator's re-send of a message already delivered to this endpoint (n = 1, 2, …; same " +
          "Carehub-Message-Id): do not process it twice, but acknowledge it again (docs/decisions/0072)",
        { pattern: "^[1-9][0-9]*$" },
      ),
      [HEADER.contentType]: text("the message's own media type", { enum: MEDCOM_CONTENT_TYPES }),
      [HEADER.schemaVersion]: text("carehub's wire contract version", { const: SCHEMA_VERSION }),
      [HEADER.traceparent]: text("W3C trace context of the hop that published it"),
    },
  };
}

/** Headers an endpoint may set when it publishes on its ingress subject; identity comes from the subject. */
function ingressHeaders(): JsonObject {
  return {
    type: "object",
    properties: {
      [HEADER.msgId]: text(
        "recommended: the message's own id, so JetStream stores a resend within 10 minutes once (then intake " +
          "answers repeats by message id)",
      ),
      [HEADER.contentType]: text("the message's media type; without it intake detects the format", {
        enum: MEDCOM_CONTENT_TYPES,
      }),
      [HEADER.traceparent]: text("optional W3C trace context, continued by the hub"),
    },
  };
}

function jsonHeaders(): JsonObject {
  return {
    type: "object",
    required: [HEADER.msgId],
    properties: {
      [HEADER.msgId]: text('the event\'s id (deterministic: docs/contracts.md "Headers")'),
      [HEADER.contentType]: text("application/json", { const: "application/json" }),
      [HEADER.schemaVersion]: text("carehub's wire contract version", { const: SCHEMA_VERSION }),
      [HEADER.traceparent]: text("W3C trace context of the hop that published it"),
    },
  };
}

/** One message per MedCom encoding, e.g. `inFhirJson`, with the given headers. */
function medcomMessages(prefix: "in" | "delivered", headers: JsonObject): Record<string, JsonObject> {
  return Object.fromEntries(
    Object.entries(MEDCOM_ENCODINGS).map(([suffix, encoding]) => [
      `${prefix}${suffix}`,
      {
        name: `${prefix}${suffix}`,
        title: `${prefix === "in" ? "A message from an endpoint" : "A message delivered by the hub"}: ${encoding.title}`,
        contentType: encoding.contentType,
        headers,
        payload: {
          type: "string",
          description: "the MedCom message byte for byte (an ISO-8859-1 OIOXML letter as its bytes)",
        },
      },
    ]),
  );
}

/** `{ name: $ref }` for a channel's messages, and the operation's references to them. */
function channelMessages(names: string[]): Record<string, JsonObject> {
  return Object.fromEntries(names.map((name) => [name, { $ref: `#/components/messages/${name}` }]));
}
const operationMessages = (channel: string, names: string[]) =>
  names.map((name) => ({ $ref: `#/channels/${channel}/messages/${name}` }));

/** Turns a topology address with placeholder tokens into an AsyncAPI address with `{parameters}`. */
function address(subject: string): string {
  return subject
    .replace(NAMESPACE_TOKEN, "{namespace}")
    .replace(ENDPOINT_TOKEN, "{endpoint}")
    .replace(TYPE_TOKEN, "{type}");
}

/**
 * The AsyncAPI 3 document of carehub's NATS side, for endpoints that talk to the hub over NATS: the ingress,
 * inbox and status subjects per endpoint (and the lifecycle events operators follow), their headers and payload
 * schemas. Addresses come from the bus's topology, payloads from the zod schemas. Written to
 * schemas/generated/asyncapi.json by `pnpm schemas:generate` (hook: schemas/scripts/extra.ts) and drift-checked.
 */
export function buildAsyncApiDocument(): JsonObject {
  const names = topology(NAMESPACE_TOKEN);
  const stream = (role: keyof typeof names.streams) =>
    names.streams[role].replace(NAMESPACE_TOKEN.toUpperCase(), "<NS>");
  const endpointParameter = {
    description: "the endpoint's registry id (one subject per endpoint; NATS permissions allow only its own)",
    examples: ["herlev-kommune"],
  };
  const namespaceParameter = { description: "the hub's namespace (CAREHUB_NAMESPACE)", default: "carehub" };
  const duplicateWindowMinutes = DEFAULT_RETENTION.duplicateWindowMs / 60_000;
  const incoming = medcomMessages("in", ingressHeaders());
  const delivered = medcomMessages("delivered", inboxHeaders());
  return {
    asyncapi: "3.1.0",
    info: {
      title: "carehub NATS interface",
      version: "1",
      description:
        "What endpoints with NATS credentials (docs/decisions/0009) publish to and read from carehub: messages " +
        `in on their ingress subject (stored on ${stream("ingress")}), deliveries out on their inbox subject ` +
        `(stored on ${stream("inbox")}, read with the durable pull consumer sdk-{endpoint}), business status ` +
        "announcements on their status subject, and the lifecycle events the hub publishes. Wire contracts: " +
        `docs/contracts.md. JetStream drops a repeated Nats-Msg-Id within ${duplicateWindowMinutes} minutes.`,
      license: { name: "MIT", url: "https://opensource.org/license/mit" },
    },
    defaultContentType: "application/json",
    servers: {
      nats: {
        host: "{host}",
        protocol: "nats",
        description:
          "The hub's NATS (JetStream). An endpoint connects with its nkey and the reply prefix _INBOX_{endpoint}.",
        variables: { host: { default: "127.0.0.1:4222", description: "host:port of a NATS server of the hub" } },
      },
    },
    channels: {
      ingress: {
        address: address(names.subjects.ingress(ENDPOINT_TOKEN)),
        title: "An endpoint's messages to the hub",
        description: `Stored on ${stream("ingress")} exactly as published; the subject names the sender.`,
        parameters: { namespace: namespaceParameter, endpoint: endpointParameter },
        messages: channelMessages(Object.keys(incoming)),
      },
      inbox: {
        address: address(names.subjects.inbox(ENDPOINT_TOKEN)),
        title: "The hub's deliveries to an endpoint in NATS delivery mode",
        description: `Stored on ${stream("inbox")}; read with the durable pull consumer sdk-{endpoint}, ack each.`,
        parameters: { namespace: namespaceParameter, endpoint: endpointParameter },
        messages: channelMessages(Object.keys(delivered)),
      },
      status: {
        address: address(names.subjects.status(ENDPOINT_TOKEN)),
        title: "Business status changes for the endpoint that started a referral or task",
        description: "Plain NATS (not stored): subscribe while connected; the query API has the history.",
        parameters: { namespace: namespaceParameter, endpoint: endpointParameter },
        messages: channelMessages(["statusChanged"]),
      },
      events: {
        address: address(names.subjects.events(TYPE_TOKEN)),
        title: "Lifecycle events (operators, the console, tests)",
        description: `Stored on ${stream("events")}; readable with the hub's own credentials.`,
        parameters: {
          namespace: namespaceParameter,
          type: { description: "the event type", enum: [...LIFECYCLE_EVENT_TYPES] },
        },
        messages: channelMessages(["lifecycleEvent"]),
      },
    },
    operations: {
      receiveMessage: {
        action: "receive",
        title: "The hub takes a message from an endpoint",
        channel: { $ref: "#/channels/ingress" },
        messages: operationMessages("ingress", Object.keys(incoming)),
      },
      deliverMessage: {
        action: "send",
        title: "The hub delivers a message to an endpoint's inbox",
        channel: { $ref: "#/channels/inbox" },
        messages: operationMessages("inbox", Object.keys(delivered)),
      },
      announceStatus: {
        action: "send",
        title: "The hub announces a business status change",
        channel: { $ref: "#/channels/status" },
        messages: operationMessages("status", ["statusChanged"]),
      },
      publishEvent: {
        action: "send",
        title: "The hub records a lifecycle event",
        channel: { $ref: "#/channels/events" },
        messages: operationMessages("events", ["lifecycleEvent"]),
      },
    },
    components: {
      messages: {
        ...incoming,
        ...delivered,
        statusChanged: {
          name: "statusChanged",
          title: "A referral's, task's or appointment's business status changed",
          headers: jsonHeaders(),
          payload: { $ref: "#/components/schemas/StatusChangedEvent" },
        },
        lifecycleEvent: {
          name: "lifecycleEvent",
          title: "One step of a message's life",
          headers: jsonHeaders(),
          payload: { $ref: "#/components/schemas/LifecycleEvent" },
        },
      },
      schemas: {
        StatusChangedEvent: jsonSchema(StatusChangedEvent),
        LifecycleEvent: jsonSchema(LifecycleEvent),
      },
    },
  };
}

/** The document as written to schemas/generated/asyncapi.json. */
export function asyncApiText(): string {
  return `${JSON.stringify(buildAsyncApiDocument(), null, 2)}\n`;
}
