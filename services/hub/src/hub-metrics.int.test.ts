import { readFileSync } from "node:fs";
import { cleanupNamespaceAt } from "@carehub/bus/testing";
import { metricsText, metricValue } from "@carehub/observability";
import { hashToken } from "@carehub/registry";
import { parseHubConfig, type RegistryConfigInput } from "@carehub/schemas";
import { sharedNatsUrl, sharedRedisUrl, testNamespace } from "@carehub/testkit";
import { medcomExamplesDir } from "@carehub/testkit/medcom-fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningHub, startHub } from "./start-hub.ts";

/*
 * The hub's /metrics as an operator reads it, with intake, router and tracker running against the real NATS
 * and Redis: rejections by code, the DLQ gauge the hub's stream collector keeps, and no patient identifier in
 * any label after messages carrying a CPR number went through. Metrics are process-global: assertions are on
 * deltas and on this namespace's own series.
 */

const EXAMPLES = medcomExamplesDir();
// A HomeCareObservation from the acute team to the practice; its Patient carries the CPR number below.
const homecare = readFileSync(`${EXAMPLES}/fhir/homecareobservation/ig-401cbc36-db1e-4fe0-bf90-6df331dde179.json`);
const CPR = "2509479989";
const CPR_LIKE = /(?<!\d)\d{6}-?\d{4}(?!\d)/;

const namespace = testNamespace("hubm");
const endpoint = (id: string, sor: string, gln: string, sends: RegistryConfigInput["endpoints"][number]["sends"]) => ({
  id,
  name: id,
  kind: "municipality" as const,
  identifiers: { sor: [sor], gln: [gln] },
  sends,
  accepts: ["acknowledgement" as const, "homecare-observation" as const],
  delivery: { mode: "nats" as const },
  auth: { tokenSha256: [hashToken(`token-${id}`)] },
});
const registry: RegistryConfigInput = {
  hub: { id: "carehub", name: "test hub", sor: "481521000016007", gln: "5790000199990" },
  endpoints: [
    endpoint("acute-team", "1144561000016002", "5790000123117", ["homecare-observation"]),
    endpoint("practice", "52581000016005", "5790000127092", ["homecare-observation", "acknowledgement"]),
  ],
};

let hub: RunningHub;

async function waitFor(what: string, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** An endpoint publishing on NATS itself: intake derives the hub id from the stream position. */
async function fromEndpoint(source: string, bytes: Uint8Array, contentType: string, msgId: string) {
  return hub.bus.publish(hub.bus.topology.subjects.ingress(source), bytes, { msgId, contentType });
}

async function eventTypes(): Promise<string[]> {
  const stream = hub.bus.topology.streams.events;
  const last = (await hub.bus.jsm.streams.info(stream)).state.last_seq;
  const types: string[] = [];
  for (let seq = 1; seq <= last; seq++) {
    const message = await hub.bus.getMessage(stream, seq);
    if (message !== null) types.push(JSON.parse(Buffer.from(message.data).toString()).type);
  }
  return types;
}

/** Every label value of every series in the registry text. */
function labelValues(text: string): string[] {
  const values: string[] = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    for (const match of line.matchAll(/\w+="((?:[^"\\]|\\.)*)"/g)) values.push(match[1] ?? "");
  }
  return values;
}

beforeAll(async () => {
  const config = parseHubConfig(
    { NATS_URL: sharedNatsUrl(), REDIS_URL: sharedRedisUrl(), LOG_LEVEL: "silent" },
    { namespace, httpPort: 0 },
  );
  hub = await startHub({ config, registry, services: ["tracker", "router", "intake"] });
});

afterAll(async () => {
  await hub?.stop();
  await cleanupNamespaceAt(namespace);
});

describe("the hub's metrics", () => {
  it("count rejections by code, show the dead letter in the DLQ gauge, and carry no CPR in any label", async () => {
    expect(homecare.toString()).toContain(CPR);
    const mismatch = { stage: "intake", code: "CAREHUB_ERR_INTAKE_SENDER_MISMATCH" };
    const mismatchBefore = await metricValue("carehub_rejections_total", mismatch);
    const dlq = { stream: hub.bus.topology.streams.dlq };

    await fromEndpoint("acute-team", homecare, "application/fhir+json", "valid");
    // The practice sends the acute team's message as its own: rejected, answered.
    await fromEndpoint("practice", homecare, "application/fhir+json", "spoof");
    // Bytes in no known format: rejected, nobody to answer, dead-lettered.
    await fromEndpoint("practice", Buffer.from(`%PDF-1.4 for ${CPR}`), "application/xml", "garbage");

    await waitFor("routed, both rejections and the dead letter", async () => {
      const types = await eventTypes();
      return (
        types.includes("routed") &&
        types.filter((t) => t === "rejected").length === 2 &&
        types.includes("dead-lettered")
      );
    });
    // The hub's stream collector refreshes on each scrape (never making it wait), so the gauge follows.
    await waitFor(
      "the DLQ gauge to show the dead letter",
      async () => (await metricValue("carehub_stream_messages", dlq)) === 1,
    );
    expect(await metricValue("carehub_rejections_total", mismatch)).toBe(mismatchBefore + 1);

    const text = await metricsText();
    expect(text).toContain(`carehub_stream_messages{stream="${hub.bus.topology.streams.ingress}"} 3`);
    expect(text).not.toContain(CPR);
    const values = labelValues(text);
    expect(values).toContain(hub.bus.topology.streams.dlq);
    expect(values.filter((value) => CPR_LIKE.test(value))).toEqual([]);
  });

  it("drops the hub's stream series when the hub stops", async () => {
    const dlq = hub.bus.topology.streams.dlq;
    expect(await metricsText()).toContain(`carehub_stream_messages{stream="${dlq}"}`);
    await hub.stop();
    expect(await metricsText()).not.toContain(`stream="${dlq}"} `);
  });
});
