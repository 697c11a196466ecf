import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { SpanKind, startTracing, type TracingHandle, tracingExporterFor, withSpan } from "./tracing.ts";

// A stand-in OpenTelemetry collector on a loopback port: the hub must send its spans there over OTLP/HTTP,
// named by service, with no patient identifier in any attribute.
interface Received {
  path: string;
  body: {
    resourceSpans: Array<{
      resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> };
      scopeSpans: Array<{ spans: Array<{ name: string; attributes?: Array<{ key: string; value: unknown }> }> }>;
    }>;
  };
}

let tracing: TracingHandle | undefined;
let server: Server | undefined;

afterEach(async () => {
  await tracing?.shutdown();
  tracing = undefined;
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  server = undefined;
});

async function startCollector(): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push({
        path: request.url ?? "",
        body: JSON.parse(Buffer.concat(chunks).toString()) as Received["body"],
      });
      response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

describe("OTLP export", () => {
  it("chooses OTLP only when an OTLP endpoint is configured, and never when OTEL_TRACES_EXPORTER=none", () => {
    expect(tracingExporterFor({ env: {} })).toBe("none");
    expect(tracingExporterFor({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" } })).toBe("otlp");
    expect(tracingExporterFor({ env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://c:4318/v1/traces" } })).toBe("otlp");
    expect(
      tracingExporterFor({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_TRACES_EXPORTER: "none" } }),
    ).toBe("none");
    expect(tracingExporterFor({ exporter: "memory", env: { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c" } })).toBe("memory");
  });

  it("sends finished spans to <endpoint>/v1/traces with service.name, and scrubs a CPR from the error", async () => {
    const collector = await startCollector();
    tracing = startTracing({
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: `${collector.url}/`, OTEL_SERVICE_NAME: "carehub-router" },
    });
    await withSpan("route message", SpanKind.CONSUMER, { "carehub.kind": "referral" }, async () => undefined);
    await withSpan("reject message", SpanKind.CONSUMER, {}, async () => {
      throw new Error("patient 0101011234 unknown");
    }).catch(() => undefined);
    await tracing.provider.forceFlush();

    expect(collector.received.map((r) => r.path)).toEqual(["/v1/traces"]);
    const [batch] = collector.received[0]?.body.resourceSpans ?? [];
    const resource = Object.fromEntries(batch?.resource.attributes.map((a) => [a.key, a.value.stringValue]) ?? []);
    expect(resource["service.name"]).toBe("carehub-router");
    const names = batch?.scopeSpans.flatMap((s) => s.spans.map((span) => span.name));
    expect(names).toEqual(["route message", "reject message"]);
    expect(JSON.stringify(collector.received)).not.toContain("0101011234");
  });
});
