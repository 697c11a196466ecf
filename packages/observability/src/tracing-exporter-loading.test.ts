import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const TRACING = fileURLToPath(new URL("./tracing.ts", import.meta.url));

/**
 * In a node of its own: start tracing with `env`, wait for pending imports, and say whether the OTLP exporter's
 * package was loaded (node's module hooks see every module the process loads).
 */
function otlpExporterLoaded(env: Record<string, string>): boolean {
  const script = `
    import { registerHooks } from "node:module";
    const loaded = [];
    registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context); } });
    const { startTracing } = await import(${JSON.stringify(TRACING)});
    const tracing = startTracing({ env: ${JSON.stringify(env)} });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await tracing.shutdown();
    console.log(JSON.stringify(loaded.some((url) => url.includes("exporter-trace-otlp-http"))));`;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  return JSON.parse(out) as boolean;
}

describe("the OTLP exporter's code", () => {
  it("is not loaded by a process that exports nothing (an idle hub process pays for no exporter)", () => {
    expect(otlpExporterLoaded({})).toBe(false);
  });

  it("is loaded when an OTLP endpoint is configured", () => {
    expect(otlpExporterLoaded({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9" })).toBe(true);
  });
});
