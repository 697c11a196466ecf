import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { cleanupNamespaceAt } from "@carehub/bus/testing";
import { hashToken } from "@carehub/registry";
import { parseHubConfig, type RegistryConfigInput } from "@carehub/schemas";
import { sharedNatsUrl, sharedRedisUrl, testNamespace } from "@carehub/testkit";
import { parser } from "@prometheus-io/lezer-promql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { type RunningHub, startHub } from "./start-hub.ts";

/*
 * The monitoring assets in infra/ as an operator loads them: Prometheus's own checker accepts the scrape
 * configuration and the alert rules (and their unit tests pass), every PromQL query of the rules and of the Grafana
 * dashboard parses and names only metrics a running hub exports on /metrics, every row of the runbook's alert
 * table has a rule, and the compose profile mounts what exists.
 */

const repo = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));
const read = (path: string) => readFileSync(repo(path), "utf8");

interface Rule {
  alert?: string;
  expr?: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const rules: Rule[] = (
  parseYaml(read("infra/prometheus/alerts.yml")) as { groups: Array<{ rules: Rule[] }> }
).groups.flatMap((group) => group.rules);

interface Panel {
  type: string;
  title: string;
  targets?: Array<{ expr: string }>;
  datasource?: { uid: string };
}
const dashboard = JSON.parse(read("infra/grafana/dashboards/carehub.json")) as { uid: string; panels: Panel[] };
const dashboardQueries = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((t) => t.expr));

/** The metric names a PromQL expression selects; throws on a syntax error or a selector without a plain name. */
function metricNames(expr: string): string[] {
  const names: string[] = [];
  const problems: string[] = [];
  parser.parse(expr).iterate({
    enter(node) {
      if (node.type.isError) problems.push(`syntax error at ${node.from}: ${JSON.stringify(expr.slice(node.from))}`);
      if (node.name === "VectorSelector" && node.node.getChild("Identifier") === null) {
        problems.push(`selector without a metric name: ${expr.slice(node.from, node.to)}`);
      }
      if (node.name === "Identifier" && node.node.parent?.name === "VectorSelector") {
        names.push(expr.slice(node.from, node.to));
      }
    },
  });
  if (problems.length > 0) throw new Error(`${expr}\n  ${problems.join("\n  ")}`);
  return names;
}

/** Series names a /metrics text can have: every family's name, a histogram's `_bucket`, `_sum` and `_count`. */
function exportedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    if (name === undefined) continue;
    names.add(name);
    if (type === "histogram") for (const suffix of ["_bucket", "_sum", "_count"]) names.add(`${name}${suffix}`);
    if (type === "summary") for (const suffix of ["_sum", "_count"]) names.add(`${name}${suffix}`);
  }
  return names;
}

/** Series Prometheus makes itself for each scrape target (not the hub's). */
const PROMETHEUS_SERIES = new Set(["up"]);

function promtool(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync("promtool", args, { cwd: repo("infra/prometheus"), encoding: "utf8" });
  if (result.error !== undefined) {
    throw new Error(
      `promtool did not run (${result.error.message}): scripts/toolchain.sh installs Debian's prometheus`,
    );
  }
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

const namespace = testNamespace("mon");
const endpoint = (id: string, sor: string, gln: string) => ({
  id,
  name: id,
  kind: "municipality" as const,
  identifiers: { sor: [sor], gln: [gln] },
  sends: ["homecare-observation" as const, "acknowledgement" as const],
  accepts: ["acknowledgement" as const, "homecare-observation" as const],
  delivery: { mode: "nats" as const },
  auth: { tokenSha256: [hashToken(`token-${id}`)] },
});
const registry: RegistryConfigInput = {
  hub: { id: "carehub", name: "test hub", sor: "481521000016007", gln: "5790000199990" },
  endpoints: [
    endpoint("acute-team", "1144561000016002", "5790000123117"),
    endpoint("practice", "52581000016005", "5790000127092"),
  ],
};

let hub: RunningHub;
let exported: Set<string>;

beforeAll(async () => {
  const config = parseHubConfig(
    { NATS_URL: sharedNatsUrl(), REDIS_URL: sharedRedisUrl(), LOG_LEVEL: "silent" },
    { namespace, httpPort: 0, opsPort: 0 },
  );
  hub = await startHub({ config, registry, tracing: false, opsServer: true });
  const text = await (await fetch(`${hub.opsUrl}/metrics`)).text();
  exported = exportedNames(text);
});

afterAll(async () => {
  await hub?.stop();
  await cleanupNamespaceAt(namespace);
});

describe("a hub process's metrics listener (CAREHUB_OPS_PORT)", () => {
  it("serves the same families as the gateway's /metrics, process metrics included, and a health check", async () => {
    expect(hub.opsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const fromGateway = exportedNames(await (await fetch(`${hub.url}/metrics`)).text());
    expect([...exported].sort()).toEqual([...fromGateway].sort());
    expect(exported).toContain("carehub_process_resident_memory_bytes");
    expect(exported).toContain("carehub_consumer_pending");
    expect(await (await fetch(`${hub.opsUrl}/healthz`)).json()).toEqual({ status: "ok" });
    expect((await fetch(`${hub.opsUrl}/v1/messages`)).status).toBe(404);
  });
});

describe("Prometheus's checker", () => {
  it("accepts the scrape configuration with its rule file, and the alert rules", () => {
    const config = promtool("check", "config", "prometheus.yml");
    expect(config.output).toContain("SUCCESS: 1 rule files found");
    expect(config.status).toBe(0);
    const checked = promtool("check", "rules", "alerts.yml");
    expect(checked.output).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(checked.status).toBe(0);
  });

  it("passes the alert rules' unit tests (alerts fire on what the runbook says, and only then)", () => {
    const tested = promtool("test", "rules", "alerts.test.yml");
    expect(tested.output).toContain("SUCCESS");
    expect(tested.status).toBe(0);
  });

  it("scrapes every hub process: the gateway and each worker on its own metrics port", () => {
    const config = parseYaml(read("infra/prometheus/prometheus.yml")) as {
      scrape_configs: Array<{ job_name: string; static_configs: Array<{ labels?: { service?: string } }> }>;
    };
    const services = config.scrape_configs
      .filter((job) => job.job_name.startsWith("carehub-"))
      .flatMap((job) => job.static_configs.map((target) => target.labels?.service));
    expect(services.sort()).toEqual(["dispatcher", "gateway", "intake", "router", "tracker"]);
  });
});

describe("the alert rules", () => {
  it("each name a severity, a summary and a runbook section that exists", () => {
    const runbookAnchors = new Set(
      [...read("docs/runbook.md").matchAll(/^#+ (.+)$/gm)].map(([, title]) =>
        (title ?? "")
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, "")
          .replace(/ /g, "-"),
      ),
    );
    for (const rule of rules) {
      expect(rule.alert, JSON.stringify(rule)).toMatch(/^Carehub[A-Za-z]+$/);
      expect(["critical", "warning", "info"], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      const [file, anchor] = (rule.annotations?.runbook ?? "").split("#");
      expect(existsSync(repo(file ?? "")), `${rule.alert}: ${file}`).toBe(true);
      if (anchor !== undefined) expect(runbookAnchors, `${rule.alert}: #${anchor}`).toContain(anchor);
    }
  });

  it("name only metrics the running hub exports", () => {
    for (const rule of rules) {
      for (const name of metricNames(rule.expr ?? "")) {
        if (!PROMETHEUS_SERIES.has(name)) expect(exported, `${rule.alert}: ${name}`).toContain(name);
      }
    }
  });

  it("cover every row of the runbook's metrics table", () => {
    const metrics = read("docs/runbook.md").split("## Metrics")[1]?.split("\n## ")[0] ?? "";
    const rows = metrics
      .split("\n")
      .filter((line) => line.startsWith("| `carehub_"))
      .map((line) => [...(line.split("|")[1] ?? "").matchAll(/`(carehub_[a-z_]+)/g)].map(([, name]) => name ?? ""));
    expect(rows.length).toBeGreaterThanOrEqual(14);
    const alerted = new Set(
      rules.flatMap((rule) => metricNames(rule.expr ?? "").map((name) => name.replace(/_bucket$/, ""))),
    );
    const uncovered = rows.filter((families) => !families.some((family) => alerted.has(family)));
    expect(uncovered).toEqual([]);
  });
});

describe("the Grafana dashboard", () => {
  it("has queries that parse and name only metrics the running hub exports", () => {
    expect(dashboardQueries.length).toBeGreaterThan(20);
    for (const query of dashboardQueries) {
      for (const name of metricNames(query)) {
        if (!PROMETHEUS_SERIES.has(name)) expect(exported, `${query}: ${name}`).toContain(name);
      }
    }
  });

  it("shows every carehub family the hub exports, through the provisioned datasource", () => {
    const shown = new Set(dashboardQueries.flatMap((query) => metricNames(query)));
    const families = [...exported].filter(
      (name) => /^carehub_(?!process_|nodejs_)/.test(name) && !/_(sum|count)$/.test(name),
    );
    const missing = families.filter((name) => !shown.has(name) && !shown.has(`${name}_bucket`));
    expect(missing.filter((name) => !name.endsWith("_bucket"))).toEqual([]);
    const datasource = parseYaml(read("infra/grafana/provisioning/datasources/prometheus.yml")) as {
      datasources: Array<{ uid: string }>;
    };
    const variable = (dashboard as unknown as { templating: { list: Array<{ current: { value: string } }> } })
      .templating.list[0];
    expect(variable?.current.value).toBe(datasource.datasources[0]?.uid);
    for (const panel of dashboard.panels.filter((p) => p.type !== "row")) {
      // Grafana resolves the dashboard variable `datasource`, so a site may pick another Prometheus.
      expect(panel.datasource?.uid, panel.title).toBe(["$", "{datasource}"].join(""));
    }
  });
});

describe("the compose profile `monitoring`", () => {
  it("starts Prometheus and Grafana with the files of infra/ mounted", () => {
    const compose = parseYaml(read("infra/docker-compose.yml")) as {
      services: Record<string, { profiles?: string[]; volumes?: string[] }>;
    };
    const monitoring = Object.entries(compose.services).filter(([, s]) => s.profiles?.includes("monitoring"));
    expect(monitoring.map(([name]) => name).sort()).toEqual(["grafana", "prometheus"]);
    const mounts = monitoring.flatMap(([, s]) => s.volumes ?? []).filter((v) => v.startsWith("./"));
    expect(mounts.length).toBe(3);
    for (const mount of mounts) expect(existsSync(repo(`infra/${mount.split(":")[0]}`)), mount).toBe(true);
    // The dashboard provider reads where the compose file mounts the dashboards.
    const provider = parseYaml(read("infra/grafana/provisioning/dashboards/carehub.yml")) as {
      providers: Array<{ options: { path: string } }>;
    };
    expect(mounts).toContain(`./grafana/dashboards:${provider.providers[0]?.options.path}:ro`);
  });
});
