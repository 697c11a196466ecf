import { readFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { Parser } from "@asyncapi/parser";
import { topology } from "@carehub/bus";
import { openTestNamespace, type TestNamespace } from "@carehub/bus/testing";
import { LIFECYCLE_EVENT_TYPES } from "@carehub/schemas";
import { compileErrors, validate } from "@readme/openapi-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asyncApiText } from "../packages/bus/src/asyncapi.ts";
import { generateWebhookSecret, toWebhookSecrets } from "../packages/webhook-signature/src/index.ts";
import { deliverOverHttp } from "../services/dispatcher/src/http-delivery.ts";
import { deliverToInbox } from "../services/dispatcher/src/nats-delivery.ts";
import { openApiText } from "../services/gateway/src/openapi.ts";

/*
 * The published contracts (schemas/generated/asyncapi.json and openapi.json) pass standard validators, describe
 * the subjects the bus's topology computes, and document exactly the headers the dispatcher really sends, on
 * the wire to a webhook and onto an inbox: a header added to the code without the contract fails here.
 */

type Json = Record<string, unknown>;
interface HeaderSchema {
  required?: string[];
  properties: Record<string, { pattern?: string; enum?: string[]; const?: string }>;
}
interface HeaderParameter {
  name: string;
  in: string;
  required: boolean;
  schema: { pattern?: string };
}

const generated = (file: string) => readFileSync(new URL(`../schemas/generated/${file}`, import.meta.url), "utf8");
const asyncApi = JSON.parse(generated("asyncapi.json")) as Json & {
  channels: Record<string, { address: string; parameters: Record<string, { enum?: string[] }> }>;
  components: { messages: Record<string, { headers: HeaderSchema; contentType?: string }> };
};
const openApi = JSON.parse(generated("openapi.json")) as Json & {
  servers: Array<{ url: string; variables: Record<string, { default: string }> }>;
  webhooks: { medcomDelivery: { post: { parameters: HeaderParameter[]; responses: Json; requestBody: Json } } };
};

const message = {
  hubId: "01936f4e-8d1a-7c3e-9b2f-5a6d7e8f9a0b",
  messageId: "msg-1",
  kind: "referral",
  sourceEndpoint: "practice",
  contentType: "application/fhir+json",
  body: new TextEncoder().encode('{"resourceType":"Bundle"}'),
  attempt: 2,
};

/** Headers a transport adds by itself, not part of carehub's contract. */
const TRANSPORT_HEADERS_ON_HTTP = new Set([
  "host",
  "connection",
  "content-length",
  "accept",
  "accept-encoding",
  "accept-language",
  "sec-fetch-mode",
  "user-agent",
]);

describe("the committed documents", () => {
  it("are what the generators produce (pnpm schemas:check guards the same in CI)", () => {
    expect(generated("asyncapi.json")).toBe(asyncApiText());
    expect(generated("openapi.json")).toBe(openApiText());
  });
});

describe("AsyncAPI 3 document of the NATS side", () => {
  it("passes the AsyncAPI parser with no error and no warning", async () => {
    const { document, diagnostics } = await new Parser().parse(generated("asyncapi.json"));
    // Spectral severities: 0 error, 1 warning, 2 information, 3 hint.
    expect(diagnostics.filter((d) => d.severity <= 1).map((d) => `${d.path.join(".")}: ${d.message}`)).toEqual([]);
    expect(document?.version()).toMatch(/^3\./);
    expect(
      document
        ?.channels()
        .all()
        .map((c) => c.id())
        .sort(),
    ).toEqual(["events", "inbox", "ingress", "status"]);
  });

  it("names the subjects the bus's topology computes, for any namespace and endpoint", () => {
    const names = topology("region-h");
    const fill = (address: string, parameters: Json) =>
      address.replace(/\{(\w+)\}/g, (_, name: string) => String(parameters[name]));
    const values = { namespace: "region-h", endpoint: "herlev-kommune", type: "delivered" };
    const channel = (id: string) => fill(asyncApi.channels[id]?.address ?? "", values);
    expect(channel("ingress")).toBe(names.subjects.ingress("herlev-kommune"));
    expect(channel("inbox")).toBe(names.subjects.inbox("herlev-kommune"));
    expect(channel("status")).toBe(names.subjects.status("herlev-kommune"));
    expect(channel("events")).toBe(names.subjects.events("delivered"));
    expect(asyncApi.channels.events?.parameters.type?.enum).toEqual([...LIFECYCLE_EVENT_TYPES]);
  });

  describe("inbox headers, as the dispatcher publishes them", () => {
    let ns: TestNamespace;
    beforeAll(async () => {
      ns = await openTestNamespace("contract");
    });
    afterAll(() => ns.close());

    it("are every header of a real inbox delivery, with the documented ones required present and well-formed", async () => {
      const subject = ns.bus.topology.subjects.inbox("practice");
      const outcome = await deliverToInbox(ns.bus, subject, message);
      expect(outcome).toEqual({ ok: true });
      const stored = await ns.bus.getMessage(ns.bus.topology.streams.inbox, 1);
      expect(stored).not.toBeNull();
      const sent = stored?.headers ?? {};
      const schema = asyncApi.components.messages.deliveredFhirJson?.headers as HeaderSchema;
      const undocumented = Object.keys(sent).filter((name) => schema.properties[name] === undefined);
      expect(undocumented).toEqual([]);
      for (const name of schema.required ?? []) expect(sent, name).toHaveProperty(name);
      for (const [name, value] of Object.entries(sent)) {
        const rule = schema.properties[name];
        if (rule?.pattern !== undefined) expect(value, name).toMatch(new RegExp(rule.pattern));
        if (rule?.enum !== undefined) expect(rule.enum, name).toContain(value);
        if (rule?.const !== undefined) expect(value, name).toBe(rule.const);
      }
    });
  });
});

describe("OpenAPI 3.1 document of the gateway", () => {
  it("passes the OpenAPI validator", async () => {
    const result = await validate(JSON.parse(generated("openapi.json")));
    expect(result.valid ? "valid" : compileErrors(result)).toBe("valid");
  });

  it("names a server URL with variables, defaulting to the development address", () => {
    const [server] = openApi.servers;
    expect(server?.url).toBe("{scheme}://{host}");
    const url = (server?.url ?? "").replace(/\{(\w+)\}/g, (_, name: string) => server?.variables[name]?.default ?? "");
    expect(url).toBe("http://127.0.0.1:8080");
  });

  it("documents the answers a receiver may give and what the hub does with them", () => {
    const { responses } = openApi.webhooks.medcomDelivery.post;
    expect(Object.keys(responses).sort()).toEqual(["2XX", "401", "408", "429", "4XX", "5XX"]);
  });

  describe("signed webhook deliveries, as the dispatcher sends them", () => {
    let received: IncomingHttpHeaders | undefined;
    const server = createServer((request, response) => {
      received = request.headers;
      request.resume();
      request.on("end", () => response.writeHead(204).end());
    });
    beforeAll(() => new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve)));
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it("document every header of a real signed delivery, the required ones present and well-formed", async () => {
      const { port } = server.address() as AddressInfo;
      const secrets = toWebhookSecrets([generateWebhookSecret(), generateWebhookSecret()]);
      // A re-send (docs/decisions/0072), so that the one header only a re-send carries is sent and checked too.
      const resent = { ...message, resend: 2 };
      const outcome = await deliverOverHttp({ url: `http://127.0.0.1:${port}/hook`, timeoutMs: 5_000 }, resent, {
        secrets,
        at: Date.now(),
      });
      expect(outcome).toMatchObject({ ok: true });
      // Its own webhook-id: a receiver keyed on webhook-id must not drop it as a retry of the first delivery.
      expect(received?.["webhook-id"]).toBe(`${message.hubId}:resend-2`);
      const parameters = openApi.webhooks.medcomDelivery.post.parameters;
      const documented = new Map(parameters.map((p) => [p.name.toLowerCase(), p]));
      const sent = Object.entries(received ?? {}).filter(
        ([name]) => !TRANSPORT_HEADERS_ON_HTTP.has(name) && name !== "content-type",
      );
      expect(sent.map(([name]) => name).filter((name) => !documented.has(name))).toEqual([]);
      for (const parameter of parameters) {
        const value = received?.[parameter.name.toLowerCase()];
        expect(value, parameter.name).toBeDefined();
        if (parameter.schema.pattern !== undefined) {
          expect(String(value), parameter.name).toMatch(new RegExp(parameter.schema.pattern));
        }
      }
      const body = openApi.webhooks.medcomDelivery.post.requestBody as { content: Json };
      expect(Object.keys(body.content)).toContain(received?.["content-type"]);
    });
  });
});
