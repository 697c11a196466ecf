import { readFileSync } from "node:fs";
import { medcomExamplesDir } from "@carehub/testkit/medcom-fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "./src/harness.ts";

const EXAMPLES = medcomExamplesDir();
const homecare = readFileSync(`${EXAMPLES}/fhir/homecareobservation/ig-401cbc36-db1e-4fe0-bf90-6df331dde179.json`);
const HOMECARE_ID = "489de4f2-0d8d-4de2-a7ce-ccb93568799f";

describe("ingest through the gateway (whole hub, real NATS, Redis and HTTP)", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ config: { maxBodyBytes: 256 * 1024 } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("answers an authenticated send with 202 once the bytes are on INGRESS with the contract headers", async () => {
    const response = await h.send("acute-team", homecare, "application/fhir+json");
    expect(response.status).toBe(202);
    const body = (await response.json()) as { id: string; messageId: string; status: string };
    expect(body).toMatchObject({ messageId: HOMECARE_ID, status: "received" });
    const [stored, ...others] = await h.streamMessages("ingress");
    expect(others).toHaveLength(0);
    expect(stored?.subject).toBe(`${h.namespace}.ingress.acute-team`);
    expect(Buffer.from(stored?.data ?? []).equals(homecare)).toBe(true);
    expect(stored?.headers).toMatchObject({
      "Nats-Msg-Id": body.id,
      "Carehub-Hub-Id": body.id,
      "Carehub-Source-Endpoint": "acute-team",
      "Content-Type": "application/fhir+json",
      "Carehub-Schema-Version": "1",
    });
    expect(stored?.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    expect(Math.abs(Date.parse(stored?.headers["Carehub-Received-At"] ?? "") - Date.now())).toBeLessThan(60_000);
    // Intake takes it from there: the envelope on PIPELINE (no `received` event for a message that gets there:
    // the tracker derives it from the envelope, docs/decisions/0054).
    await h.waitFor(
      async () =>
        (await h.streamMessages("pipeline")).some((m) => m.headers["Nats-Msg-Id"] === body.id) ? true : undefined,
      "the envelope on PIPELINE",
    );
  });

  it("answers a repeat with the first id and keeps one INGRESS entry", async () => {
    const first = (await (await h.send("acute-team", homecare, "application/fhir+json")).json()) as { id: string };
    const repeat = await h.send("acute-team", homecare, "application/fhir+json");
    expect(repeat.status).toBe(200);
    expect(await repeat.json()).toEqual({ id: first.id, messageId: HOMECARE_ID, status: "duplicate", duplicate: true });
    expect((await h.streamMessages("ingress")).filter((m) => m.headers["Carehub-Hub-Id"] === first.id)).toHaveLength(1);
    await h.waitForEvents((e) => e.type === "duplicate" && e.hubId === first.id);
  });

  it("refuses at the door: no token, unknown token, unknown content type, oversized body", async () => {
    const noToken = await h.send("acute-team", homecare, "application/fhir+json", { token: null });
    expect([noToken.status, ((await noToken.json()) as { code: string }).code]).toEqual([
      401,
      "CAREHUB_ERR_GATEWAY_UNAUTHENTICATED",
    ]);
    const badToken = await h.send("acute-team", homecare, "application/fhir+json", { token: "token-nobody" });
    expect([badToken.status, ((await badToken.json()) as { code: string }).code]).toEqual([
      401,
      "CAREHUB_ERR_GATEWAY_UNAUTHENTICATED",
    ]);
    const pdf = await h.send("acute-team", homecare, "application/pdf");
    expect([pdf.status, ((await pdf.json()) as { code: string }).code]).toEqual([
      415,
      "CAREHUB_ERR_GATEWAY_UNSUPPORTED_MEDIA_TYPE",
    ]);
    const before = (await h.streamMessages("ingress")).length;
    // Streamed in chunks without a Content-Length: the limit holds while reading.
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 40; i++) controller.enqueue(new Uint8Array(16 * 1024).fill(0x20));
        controller.close();
      },
    });
    const large = await fetch(`${h.url}/v1/messages`, {
      method: "POST",
      headers: { authorization: `Bearer ${h.token("acute-team")}`, "content-type": "application/fhir+json" },
      body: chunks,
      duplex: "half",
    } as RequestInit);
    expect([large.status, ((await large.json()) as { code: string }).code]).toEqual([
      413,
      "CAREHUB_ERR_GATEWAY_BODY_TOO_LARGE",
    ]);
    expect((await h.streamMessages("ingress")).length).toBe(before);
  });

  it("continues the sender's trace onto INGRESS", async () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const changed = Buffer.from(homecare.toString().replaceAll(HOMECARE_ID, "489de4f2-0d8d-4de2-a7ce-000000000001"));
    const response = await h.send("acute-team", changed, "application/fhir+json", {
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    const stored = (await h.streamMessages("ingress")).find((m) => m.headers["Carehub-Hub-Id"] === id);
    expect(stored?.headers.traceparent?.split("-")[1]).toBe(traceId);
  });

  it("serves its OpenAPI document as valid JSON, and readiness", async () => {
    const response = await fetch(`${h.url}/openapi.json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toBe("3.1.0");
    expect(Object.keys(document.paths)).toContain("/v1/messages");
    const ready = await fetch(`${h.url}/readyz`);
    expect(ready.status).toBe(200);
  });
});
