import { describe, expect, it } from "vitest";
import { buildOpenApiDocument, openApiText } from "./openapi.ts";

type Json = Record<string, unknown>;

function refsIn(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) refsIn(item, found);
  else if (typeof value === "object" && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      if (key === "$ref" && typeof child === "string") found.push(child);
      else refsIn(child, found);
    }
  }
  return found;
}

describe("buildOpenApiDocument", () => {
  const document = buildOpenApiDocument() as Json & { paths: Record<string, Record<string, Json>>; components: Json };

  it("is OpenAPI 3.1 and every $ref resolves to a component", () => {
    expect(document.openapi).toBe("3.1.0");
    const schemas = document.components.schemas as Record<string, unknown>;
    const refs = refsIn(document);
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      expect(schemas[ref.replace("#/components/schemas/", "")], ref).toBeDefined();
    }
  });

  it("documents message submission with every accepted content type and error status", () => {
    const post = document.paths["/v1/messages"]?.post as Json & { requestBody: Json; responses: Json };
    expect(Object.keys((post.requestBody as { content: Json }).content).sort()).toEqual([
      "application/fhir+json",
      "application/fhir+xml",
      "application/json+fhir",
      "application/xml",
      "application/xml+fhir",
      "text/xml",
    ]);
    expect(Object.keys(post.responses).sort()).toEqual(["200", "202", "400", "401", "413", "415", "503"]);
  });

  it("covers the query API and the operational routes", () => {
    for (const path of [
      "/v1/messages/{id}",
      "/v1/referrals/{id}",
      "/v1/referrals/{originator}/{id}",
      "/v1/tasks/{id}",
      "/v1/tasks/{originator}/{id}",
      "/v1/appointments/{id}",
      "/v1/appointments/{originator}/{id}",
      "/v1/unmatched",
      "/v1/referrals",
      "/v1/tasks",
      "/v1/stats",
      "/healthz",
      "/readyz",
      "/metrics",
      "/openapi.json",
    ]) {
      expect(document.paths[path]?.get, path).toBeDefined();
    }
    const list = document.paths["/v1/messages"]?.get as { parameters: Array<{ name: string }> };
    expect(list.parameters.map((p) => p.name)).toEqual(
      expect.arrayContaining(["sender", "status", "patient", "cursor", "limit"]),
    );
    const byPatient = document.paths["/v1/referrals"]?.get as {
      parameters: Array<{ name: string; required: boolean }>;
    };
    expect(byPatient.parameters).toEqual([
      expect.objectContaining({ name: "patient", required: true }),
      expect.objectContaining({ name: "limit", required: false }),
    ]);
  });

  it("generates the same text every time (the drift check relies on it)", () => {
    expect(openApiText()).toBe(openApiText());
    expect(JSON.parse(openApiText())).toEqual(document);
  });
});
