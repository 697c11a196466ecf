import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cleanupNamespaceAt } from "@carehub/bus/testing";
import { hashToken } from "@carehub/registry";
import { parseHubConfig, type RegistryConfigInput } from "@carehub/schemas";
import { freePort, sharedNatsUrl, sharedRedisUrl, testNamespace } from "@carehub/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { type RunningHub, startHub } from "./start-hub.ts";

/*
 * A real Prometheus (Debian's, the binary beside promtool) loads infra/prometheus as shipped — only the targets
 * pointed at a hub started here and the intervals shortened — scrapes the hub's gateway and its metrics
 * listener, and evaluates every alert rule without an error. promtool checks syntax; only an evaluation finds
 * a rule that fails at run time (e.g. a vector match that is not one-to-one).
 */

const infra = fileURLToPath(new URL("../../../infra/prometheus/", import.meta.url));

interface ScrapeConfig {
  job_name: string;
  static_configs: Array<{ targets: string[]; labels?: Record<string, string> }>;
}
interface RuleState {
  name: string;
  health: string;
  lastError?: string;
  lastEvaluation: string;
}

const namespace = testNamespace("prom");
const registry: RegistryConfigInput = {
  hub: { id: "carehub", name: "test hub", sor: "481521000016007", gln: "5790000199990" },
  endpoints: [
    {
      id: "practice",
      name: "practice",
      kind: "municipality",
      identifiers: { sor: ["52581000016005"], gln: ["5790000127092"] },
      sends: ["homecare-observation"],
      accepts: ["acknowledgement"],
      delivery: { mode: "nats" },
      auth: { tokenSha256: [hashToken("token-practice")] },
    },
  ],
};
let hub: RunningHub;
let prometheus: ChildProcess | undefined;
let prometheusUrl: string;
let workDir: string;

async function query<T>(path: string): Promise<T> {
  const response = await fetch(`${prometheusUrl}${path}`);
  const body = (await response.json()) as { status: string; data: T };
  return body.data;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The shipped configuration with the gateway target on the hub's gateway and one worker on its listener. */
function configFor(gateway: string, worker: string, port: number): string {
  const config = parseYaml(readFileSync(join(infra, "prometheus.yml"), "utf8")) as {
    global: Record<string, string>;
    rule_files: string[];
    scrape_configs: ScrapeConfig[];
  };
  config.global = { scrape_interval: "1s", evaluation_interval: "1s" };
  config.rule_files = config.rule_files.map((file) => join(infra, file));
  for (const job of config.scrape_configs) {
    if (job.job_name === "carehub-gateway")
      job.static_configs = [{ targets: [gateway], labels: { service: "gateway" } }];
    if (job.job_name === "carehub-workers") job.static_configs = [{ targets: [worker], labels: { service: "intake" } }];
    if (job.job_name === "prometheus") job.static_configs = [{ targets: [`127.0.0.1:${port}`] }];
  }
  return stringifyYaml(config);
}

beforeAll(async () => {
  const config = parseHubConfig(
    { NATS_URL: sharedNatsUrl(), REDIS_URL: sharedRedisUrl(), LOG_LEVEL: "silent" },
    { namespace, httpPort: 0, opsPort: 0 },
  );
  hub = await startHub({ config, services: ["gateway", "intake"], tracing: false, registry, opsServer: true });
  const port = await freePort();
  prometheusUrl = `http://127.0.0.1:${port}`;
  workDir = mkdtempSync(join(tmpdir(), "carehub-prometheus-"));
  const configFile = join(workDir, "prometheus.yml");
  writeFileSync(configFile, configFor(new URL(hub.url ?? "").host, new URL(hub.opsUrl ?? "").host, port));
  prometheus = spawn(
    "prometheus",
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(workDir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: "ignore" },
  );
});

afterAll(async () => {
  if (prometheus !== undefined && prometheus.exitCode === null) {
    const exited = new Promise((resolve) => prometheus?.once("exit", resolve));
    prometheus.kill("SIGTERM");
    await exited;
  }
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
  await hub?.stop();
  await cleanupNamespaceAt(namespace);
});

describe("Prometheus with infra/prometheus", () => {
  it("scrapes the gateway and a worker's metrics listener, labelled by service", async () => {
    const up = await waitFor("both hub targets up", async () => {
      const result = await query<{ result: Array<{ metric: Record<string, string>; value: [number, string] }> }>(
        "/api/v1/query?query=up",
      );
      const hubTargets = result.result.filter((r) => r.metric.job?.startsWith("carehub-"));
      return hubTargets.length === 2 && hubTargets.every((r) => r.value[1] === "1") ? hubTargets : undefined;
    });
    expect(up.map((r) => r.metric.service).sort()).toEqual(["gateway", "intake"]);
    const memory = await waitFor("process memory from both", async () => {
      const result = await query<{ result: Array<{ metric: Record<string, string> }> }>(
        "/api/v1/query?query=carehub_process_resident_memory_bytes",
      );
      return result.result.length === 2 ? result.result : undefined;
    });
    expect(memory.map((r) => r.metric.service).sort()).toEqual(["gateway", "intake"]);
  });

  it("evaluates every alert rule on the scraped series without an error", async () => {
    // After the first test both targets were scraped: rules evaluated from now on see their series.
    const scraped = Date.now() + 1_000;
    const rules = await waitFor("every rule evaluated on scraped series", async () => {
      const data = await query<{ groups: Array<{ rules: RuleState[] }> }>("/api/v1/rules");
      const all = data.groups.flatMap((group) => group.rules);
      return all.length > 0 && all.every((rule) => Date.parse(rule.lastEvaluation) > scraped) ? all : undefined;
    });
    expect(rules.length).toBeGreaterThanOrEqual(17);
    expect(rules.filter((rule) => rule.health !== "ok").map((rule) => `${rule.name}: ${rule.lastError}`)).toEqual([]);
  });
});
