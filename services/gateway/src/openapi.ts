import {
  ApiError,
  BusinessEntity,
  CareCourse,
  CareListPage,
  CareListQuery,
  EntityListQuery,
  EntityPage,
  MessageLifecycle,
  MessageListQuery,
  MessagePage,
  PatientOverview,
  StatusCounts,
  UnmatchedListQuery,
} from "@carehub/schemas";
import { z } from "zod";
import { HealthStatus, MessageDuplicate, MessageReceived } from "./api-bodies.ts";
import { ACCEPTED_MEDIA_TYPES } from "./media-type.ts";
import { OPENAPI_SERVERS, webhooksSection } from "./openapi-webhooks.ts";

type JsonObject = Record<string, unknown>;

const COMPONENTS: Readonly<Record<string, z.ZodType>> = {
  MessageReceived,
  MessageDuplicate,
  ApiError,
  MessageLifecycle,
  MessagePage,
  BusinessEntity,
  EntityPage,
  StatusCounts,
  HealthStatus,
  PatientOverview,
  CareCourse,
  CareListPage,
};

function jsonSchema(schema: z.ZodType, io: "input" | "output" = "output"): JsonObject {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    target: "draft-2020-12",
    io,
    unrepresentable: "any",
  });
  return rest;
}

const ref = (name: keyof typeof COMPONENTS) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: keyof typeof COMPONENTS, description: string) => ({
  description,
  content: { "application/json": { schema: ref(name) } },
});
const error = (description: string) => json("ApiError", description);
/** GET by (originator, id) and by id alone, for referrals, tasks and appointments (entity-routes.ts). */
function entityPaths(readErrors: JsonObject): Record<string, JsonObject> {
  const paths: Record<string, JsonObject> = {};
  for (const [type, path] of [
    ["referral", "referrals"],
    ["task", "tasks"],
    ["appointment", "appointments"],
  ] as const) {
    const name = `${type[0]?.toUpperCase()}${type.slice(1)}`;
    const answers = {
      "200": json("BusinessEntity", `the ${type}`),
      "404": error(`no such ${type}, or one the caller may not read`),
      ...readErrors,
    };
    paths[`/v1/${path}/{originator}/{id}`] = {
      get: {
        operationId: `get${name}`,
        summary: `A ${type}'s business status and history, by its originator and id`,
        parameters: [
          {
            name: "originator",
            in: "path",
            required: true,
            description: "originating endpoint id",
            schema: { type: "string" },
          },
          idParameter(`${type} id`),
        ],
        responses: answers,
      },
    };
    paths[`/v1/${path}/{id}`] = {
      get: {
        operationId: `get${name}ById`,
        summary: `A ${type} by id alone: answers when exactly one the caller may read has this id`,
        parameters: [idParameter(`${type} id`)],
        responses: { ...answers, "409": error("several originators use this id: use the path with the originator") },
      },
    };
  }
  return paths;
}

const idParameter = (what: string) => ({
  name: "id",
  in: "path",
  required: true,
  description: what,
  schema: { type: "string" },
});

function queryParameters(schema: z.ZodObject): JsonObject[] {
  const input = jsonSchema(schema, "input");
  const properties = (input.properties ?? {}) as Record<string, JsonObject>;
  const required = new Set((input.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: "query",
    required: required.has(name),
    schema: property,
  }));
}

/**
 * The gateway's OpenAPI 3.1 document, generated from the zod schemas (schemas/src/api.ts for the query
 * API, ./api-bodies.ts for message submission). Written to schemas/generated/openapi.json by
 * `pnpm schemas:generate` (hook: schemas/scripts/extra.ts), checked for drift in CI, served at /openapi.json.
 */
export function buildOpenApiDocument(): JsonObject {
  const messageTypes = Object.keys(ACCEPTED_MEDIA_TYPES);
  const rawMessage = Object.fromEntries(
    messageTypes.map((type) => [type, { schema: { description: "a MedCom message, byte for byte" } }]),
  );
  // Every query request is recorded on the AUDIT stream before it is answered; a record that cannot be
  // stored withholds the answer (503 CAREHUB_ERR_GATEWAY_AUDIT_UNAVAILABLE, docs/decisions/0012).
  // Every query route refuses a parameter it does not accept (strict schemas, ./query-parameters.ts).
  const readErrors = {
    "400": error("a query parameter the route does not accept, or an invalid value (acceptedParameters lists them)"),
    "401": error("no or unknown bearer token"),
    "503": error("NATS or Redis unavailable, or the access record could not be written; try again"),
  };
  return {
    openapi: "3.1.0",
    info: {
      title: "carehub gateway",
      version: "1",
      description:
        "HTTP API of carehub, the integration hub for Danish cross-sector MedCom messages: endpoints send " +
        "messages here, operators and endpoints query their lifecycle. Wire contracts: docs/contracts.md.",
      license: { name: "MIT", identifier: "MIT" },
    },
    servers: OPENAPI_SERVERS,
    security: [{ bearerAuth: [] }],
    paths: {
      "/v1/messages": {
        post: {
          operationId: "sendMessage",
          summary: "Send a MedCom message (FHIR JSON, FHIR XML or OIOXML)",
          description:
            "Stores the bytes exactly as sent on INGRESS and answers 202 once JetStream has them. Validation " +
            "happens after that: an invalid message is rejected with a negative acknowledgement to the sender. " +
            "A repeat of a message id the same sender sent before answers 200 with the first copy's id.",
          requestBody: { required: true, content: rawMessage },
          responses: {
            "202": json("MessageReceived", "stored on INGRESS"),
            "200": json("MessageDuplicate", "a repeat of a message already received; nothing new stored"),
            "400": error("empty body, or bytes that are not text in their declared encoding"),
            "401": error("no or unknown bearer token"),
            "413": error("larger than the hub accepts (derived from NATS max_payload; the answer's maxBytes)"),
            "415": error("unsupported content type"),
            "503": error(
              "NATS or Redis unavailable; or, with Retry-After, the hub at capacity (CAREHUB_ERR_GATEWAY_OVERLOADED) " +
                "or behind with the messages it accepted (CAREHUB_ERR_GATEWAY_INGRESS_BACKLOG); try again",
            ),
          },
        },
        get: {
          operationId: "listMessages",
          summary: "List messages, newest first",
          description:
            "`patient` finds the messages about one patient (a CPR number): the gateway hashes it with the read " +
            "model's key and never stores or logs it; an endpoint searches only its own messages.",
          parameters: queryParameters(MessageListQuery),
          responses: { "200": json("MessagePage", "one page of messages"), ...readErrors },
        },
      },
      "/v1/messages/{id}": {
        get: {
          operationId: "getMessage",
          summary: "A message's lifecycle: status per receiver, timeline, links",
          parameters: [idParameter("hub id")],
          responses: { "200": json("MessageLifecycle", "the message"), "404": error("no such message"), ...readErrors },
        },
      },
      ...entityPaths(readErrors),
      "/v1/unmatched": {
        get: {
          operationId: "listUnmatched",
          summary: "Referrals, tasks and appointments with statuses but no creating message seen by the hub",
          parameters: queryParameters(UnmatchedListQuery),
          responses: {
            "200": {
              description: "the unmatched entities the caller may read, most recently active first",
              content: {
                "application/json": {
                  schema: { type: "object", properties: { items: { type: "array", items: ref("BusinessEntity") } } },
                },
              },
            },
            ...readErrors,
          },
        },
      },
      "/v1/referrals": {
        get: {
          operationId: "findReferralsByPatient",
          summary: "The referrals about one patient (operators: all; endpoints: those they are part of)",
          parameters: queryParameters(EntityListQuery),
          responses: { "200": json("EntityPage", "the referrals"), ...readErrors },
        },
      },
      "/v1/tasks": {
        get: {
          operationId: "findTasksByPatient",
          summary: "The tasks about one patient (operators: all; endpoints: those they are part of)",
          parameters: queryParameters(EntityListQuery),
          responses: { "200": json("EntityPage", "the tasks"), ...readErrors },
        },
      },
      "/v1/patients/overview": {
        get: {
          operationId: "getPatientOverview",
          summary: "A patient's package courses, referrals, tasks and appointments (the care overview)",
          description:
            "The patient's CPR number goes in the `Carehub-Patient` header, never the URL; the gateway hashes it " +
            "with the read model's key. Operators see everything; the practice that sent a package referral sees " +
            "every item of its course; any other endpoint sees only the items it is a party to.",
          parameters: [
            {
              name: "Carehub-Patient",
              in: "header",
              required: true,
              description: "the patient's CPR number (or replacement CPR)",
              schema: { type: "string", minLength: 1, maxLength: 64 },
            },
          ],
          responses: {
            "200": json("PatientOverview", "what the caller may see of the patient's care"),
            "404": error("nothing the caller may see (no such patient, or none of its items)"),
            ...readErrors,
          },
        },
      },
      "/v1/courses/{id}": {
        get: {
          operationId: "getCourse",
          summary: "One package course, as the caller may see it",
          parameters: [idParameter("`<originator>:<package referral id>`")],
          responses: {
            "200": json("CareCourse", "the course"),
            "404": error("no such course, or none of its items visible to the caller"),
            ...readErrors,
          },
        },
      },
      "/v1/care-lists": {
        get: {
          operationId: "listCareWork",
          summary: "An endpoint's worklist: not booked for N days, planned past its window, booked with no outcome",
          parameters: queryParameters(CareListQuery),
          responses: { "200": json("CareListPage", "one page, oldest first"), ...readErrors },
        },
      },
      "/v1/stats": {
        get: {
          operationId: "getStats",
          summary: "Message counts by endpoint, role, kind and status",
          responses: { "200": json("StatusCounts", "the counts"), ...readErrors },
        },
      },
      "/openapi.json": {
        get: {
          operationId: "getOpenApi",
          summary: "This document",
          security: [],
          responses: { "200": { description: "OpenAPI 3.1", content: { "application/json": { schema: {} } } } },
        },
      },
      "/healthz": {
        get: {
          operationId: "getHealth",
          summary: "Liveness: the process is up",
          security: [],
          responses: { "200": json("HealthStatus", "up") },
        },
      },
      "/readyz": {
        get: {
          operationId: "getReadiness",
          summary: "Readiness: NATS and Redis reachable",
          security: [],
          responses: { "200": json("HealthStatus", "ready"), "503": json("HealthStatus", "a dependency is down") },
        },
      },
      "/metrics": {
        get: {
          operationId: "getMetrics",
          summary: "Prometheus metrics",
          security: [],
          responses: {
            "200": { description: "Prometheus text format", content: { "text/plain": { schema: { type: "string" } } } },
          },
        },
      },
    },
    // What the hub sends to endpoints in webhook mode (the other direction of this API).
    webhooks: webhooksSection(ref("ApiError")),
    components: {
      securitySchemes: {
        bearerAuth: {
          type: "http",
          scheme: "bearer",
          description: "the endpoint's token (registry: auth.tokenSha256)",
        },
      },
      schemas: Object.fromEntries(Object.entries(COMPONENTS).map(([name, schema]) => [name, jsonSchema(schema)])),
    },
  };
}

/** The document as written to schemas/generated/openapi.json. */
export function openApiText(): string {
  return `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;
}
