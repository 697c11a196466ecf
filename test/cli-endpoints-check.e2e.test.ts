import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildLabReport, encodeXmlText } from "@carehub/medcom-xml";
import type { Party } from "@carehub/schemas";
import { sharedNatsUrl, sharedRedisUrl } from "@carehub/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCarehub } from "./src/cli-process.ts";
import { type Harness, startHarness } from "./src/harness.ts";

// `carehub endpoints check` as an operator runs it: the real CLI in a child process against a running hub (real
// NATS and Redis, the harness's test receivers as webhooks), with the registry the hub runs on in a file.
const LAB: Party = { gln: "5790000120284", name: "Svendborg" };
const KLAMER: Party = { gln: "5790000125012", name: "Finn Klamer" };
const PRACTICE: Party = { gln: "5790000127092", name: "Skødstrup Lægepraksis" };

let h: Harness;
let dir: string;
let letters = 0;

beforeAll(async () => {
  h = await startHarness();
  dir = await mkdtemp(join(tmpdir(), "carehub-cli-check-"));
  await writeFile(join(dir, "endpoints.json"), JSON.stringify(h.registry));
});

afterAll(async () => {
  await h?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

interface Check {
  id: string;
  healthy: boolean;
  reachability: { reachable: boolean; status: number | null; error: string | null };
  circuit: string;
  backlog: { pending: number; ackPending: number } | null;
  lastDeliveryAt: string | null;
}

function carehub(args: string[]) {
  return runCarehub(["endpoints", ...args], {
    ...process.env,
    NATS_URL: sharedNatsUrl(),
    REDIS_URL: sharedRedisUrl(),
    CAREHUB_NAMESPACE: h.namespace,
    CAREHUB_REGISTRY: join(dir, "endpoints.json"),
  });
}

async function sendLabReport(receiver: Party): Promise<string> {
  letters += 1;
  const letterId = `C${Date.now() % 1_000_000}${letters}`.slice(0, 14);
  const xml = buildLabReport({
    ids: { envelopeId: `E${letterId}`.slice(0, 14), letterId },
    now: new Date(),
    statusCode: "nytbrev",
    sender: LAB,
    receiver,
    patient: { cpr: "1212778221" },
    sample: { laboratorySampleId: `S${letterId}` },
    results: [{ analysisCode: "NPU01807", status: "svar_endeligt", value: "7.1", unit: "mmol/l" }],
  });
  const response = await h.send("lab", encodeXmlText(xml), "application/xml");
  expect(response.status).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

const checksOf = (stdout: string): Check[] =>
  stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Check);

describe("carehub endpoints check, against the running hub", () => {
  it("reports a webhook that answers, with a closed circuit, no backlog and its last delivery: exit 0", async () => {
    const hubId = await sendLabReport(PRACTICE);
    await h.waitFor(
      async () => {
        const response = await fetch(`${h.url}/v1/messages/${hubId}`, {
          headers: { authorization: `Bearer ${h.token("operator")}` },
        });
        if (response.status !== 200) return undefined;
        const message = (await response.json()) as { perReceiver: Array<{ endpoint: string; deliveredAt?: string }> };
        return message.perReceiver.find((r) => r.endpoint === "practice")?.deliveredAt;
      },
      "the delivery in the read model",
      30_000,
    );
    const run = await carehub(["check", "practice", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const [check, ...more] = checksOf(run.stdout);
    expect(more).toEqual([]);
    expect(check).toMatchObject({
      id: "practice",
      healthy: true,
      reachability: { reachable: true, status: 200 },
      circuit: "closed",
      backlog: { pending: 0, ackPending: 0 },
      lastDeliveryAt: expect.stringMatching(/^\d{4}-/),
    });
    const human = await carehub(["check", "practice"]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(
      /^ID +HEALTH +WEBHOOK +CIRCUIT +BACKLOG +LAST DELIVERY\npractice +ok +HTTP 200 +closed +0 /,
    );
  });

  it("reports an endpoint that is down: no answer, the circuit open after its failures, a backlog; exit 1", async () => {
    h.receiver("klamer").setDown(true);
    // Five messages, each failing its first attempt: five consecutive failures open the circuit.
    for (let i = 0; i < 5; i++) await sendLabReport(KLAMER);
    await h.waitForEvents((e) => e.type === "delivery-failed" && e.endpoint === "klamer", 30_000);
    await h.waitFor(
      async () => {
        const run = await carehub(["check", "klamer", "--json"]);
        return checksOf(run.stdout)[0]?.circuit === "open" ? run : undefined;
      },
      "klamer's circuit to open",
      60_000,
    );
    const run = await carehub(["check", "--json"]);
    expect(run.code).toBe(1);
    const checks = checksOf(run.stdout);
    expect(checks.map((c) => c.id).sort()).toEqual(h.registry.endpoints.map((e) => e.id).sort());
    const klamer = checks.find((c) => c.id === "klamer");
    expect(klamer).toMatchObject({
      healthy: false,
      reachability: { reachable: false, status: null },
      circuit: "open",
    });
    expect((klamer?.backlog?.pending ?? 0) + (klamer?.backlog?.ackPending ?? 0)).toBeGreaterThan(0);
    expect(checks.find((c) => c.id === "practice")).toMatchObject({ healthy: true });
    expect(run.stderr).toContain("1 unhealthy");
    // The URL (and so anything in it) is never printed.
    expect(run.stdout).not.toContain("127.0.0.1");
    // Back up, but its circuit still open (30 s cool-down): the dispatcher still keeps deliveries away, so unhealthy.
    h.receiver("klamer").setDown(false);
    const recovering = await carehub(["check", "klamer", "--json"]);
    expect(recovering.code).toBe(1);
    expect(checksOf(recovering.stdout)[0]).toMatchObject({
      healthy: false,
      reachability: { reachable: true, status: 200 },
      circuit: expect.stringMatching(/^(open|half-open)$/),
    });
  });

  it("refuses an unknown endpoint with exit 2 and the nearest id", async () => {
    const run = await carehub(["check", "klamr"]);
    expect(run).toMatchObject({ code: 2, stdout: "" });
    expect(run.stderr).toContain("no such endpoint in the registry (did you mean klamer?)");
    const typo = await carehub(["chek"]);
    expect(typo).toMatchObject({ code: 2, stdout: "" });
    expect(typo.stderr).toContain("did you mean endpoints check?");
  });
});
