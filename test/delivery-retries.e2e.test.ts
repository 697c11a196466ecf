import { readFileSync } from "node:fs";
import { runCliCollected, sharedHubEnv } from "@carehub/hub/testing";
import type { LifecycleEvent } from "@carehub/schemas";
import { medcomExamplesDir } from "@carehub/testkit/medcom-fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultEndpoints, type Harness, startHarness } from "./src/harness.ts";

/**
 * Delivery under failure, through the whole hub: a receiver that fails its first deliveries gets the message
 * exactly once; a receiver that is down is dead-lettered after its attempt limit while other receivers'
 * traffic flows on; one `carehub redrive` call later delivers the dead letter, once.
 */

const EXAMPLES = medcomExamplesDir();
const homecare = readFileSync(`${EXAMPLES}/fhir/homecareobservation/ig-401cbc36-db1e-4fe0-bf90-6df331dde179.json`);
const homecareAgain = readFileSync(`${EXAMPLES}/fhir/homecareobservation/ig-add5e7e2-0c0f-4a4a-bfff-f6f984fa7e3c.json`);
const labReport = readFileSync(`${EXAMPLES}/oioxml/XRPT01_2.xml`);

type Of<T extends LifecycleEvent["type"]> = Extract<LifecycleEvent, { type: T }>;

describe("delivery retries, dead letters and redrive end to end", () => {
  let h: Harness;
  beforeAll(async () => {
    // Klamer's practice gets three attempts (the default is eight).
    h = await startHarness({
      endpoints: defaultEndpoints().map((e) => (e.id === "klamer" ? { ...e, maxDeliveryAttempts: 3 } : e)),
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  async function send(from: string, bytes: Uint8Array, contentType: string): Promise<string> {
    const response = await h.send(from, bytes, contentType);
    expect(response.status).toBe(202);
    return ((await response.json()) as { id: string }).id;
  }
  const eventsOf = async (hubId: string) => (await h.events()).filter((e) => e.hubId === hubId);

  it("delivers exactly once to a receiver that fails its first two deliveries", async () => {
    h.receiver("practice").failNext(2);
    const hubId = await send("acute-team", homecare, "application/fhir+json");
    const [delivered] = (await h.waitForEvents(
      (e) => e.type === "delivered" && e.hubId === hubId,
      15_000,
    )) as Of<"delivered">[];
    expect(delivered).toMatchObject({ endpoint: "practice", attempt: 3 });
    const deliveries = h.receiver("practice").deliveries.filter((d) => d.hubId === hubId);
    expect(deliveries.map((d) => d.status)).toEqual([503, 503, 200]);
    expect(deliveries.map((d) => d.headers["carehub-attempt"])).toEqual(["1", "2", "3"]);
    const failed = (await eventsOf(hubId)).filter((e): e is Of<"delivery-failed"> => e.type === "delivery-failed");
    expect(failed.map((e) => [e.attempt, e.error.code])).toEqual([
      [1, "CAREHUB_ERR_DELIVERY_HTTP_RETRYABLE"],
      [2, "CAREHUB_ERR_DELIVERY_HTTP_RETRYABLE"],
    ]);
    expect(failed.every((e) => (e.nextAttemptInMs ?? 0) > 0)).toBe(true);
  });

  it("dead-letters for a receiver that is down, keeps other traffic flowing, and delivers once after one redrive", async () => {
    h.receiver("klamer").setDown(true);
    const deadId = await send("lab", labReport, "application/xml");
    await h.waitForEvents((e) => e.type === "delivery-failed" && e.hubId === deadId);

    // Meanwhile the practice's traffic is not held up by Klamer's retries: it is delivered before Klamer's
    // message has used its attempts (an order of events, not a wall-clock bound that a busy CI machine breaks).
    const otherId = await send("acute-team", homecareAgain, "application/fhir+json");
    const practiceDeliveries = await h
      .receiver("practice")
      .waitFor((d) => d.some((x) => x.hubId === otherId && x.status === 200));
    const deliveredAt = practiceDeliveries.find((x) => x.hubId === otherId && x.status === 200)?.at.getTime();

    const [dead] = (await h.waitForEvents(
      (e) => e.type === "dead-lettered" && e.hubId === deadId,
      20_000,
    )) as Of<"dead-lettered">[];
    expect(deliveredAt).toBeLessThan(Date.parse(dead?.at ?? ""));
    expect(dead).toMatchObject({
      endpoint: "klamer",
      stage: "dispatcher",
      attempts: 3,
      reason: { code: "CAREHUB_ERR_DELIVERY_ATTEMPTS_EXHAUSTED" },
    });
    expect(dead?.reason.message).toMatch(/#1 .*CAREHUB_ERR_DELIVERY_NETWORK.*#2 .*#3 /);
    const letters = (await h.streamMessages("dlq")).filter((m) => m.headers["Carehub-Hub-Id"] === deadId);
    expect(letters).toHaveLength(1);
    expect(letters[0]?.data).toEqual(new Uint8Array(labReport));
    expect(letters[0]?.headers["Carehub-Error-Code"]).toBe("CAREHUB_ERR_DELIVERY_ATTEMPTS_EXHAUSTED");
    expect(letters[0]?.headers["Carehub-Error-Message"]).toMatch(/#1 .*CAREHUB_ERR_DELIVERY_NETWORK.*#2 .*#3 /);

    h.receiver("klamer").setDown(false);
    const { code, out } = await runCliCollected(
      ["redrive", "--json", "--endpoint", "klamer"],
      sharedHubEnv(h.namespace),
    );
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual({ redriven: 1, hubIds: [deadId] });

    await h.waitForEvents((e) => e.type === "delivered" && e.hubId === deadId);
    const accepted = h
      .receiver("klamer")
      .accepted()
      .filter((d) => d.hubId === deadId);
    expect(accepted).toHaveLength(1);
    expect(accepted[0]?.body.equals(labReport)).toBe(true);
    const timeline = (await eventsOf(deadId)).map((e) => e.type);
    expect(timeline.indexOf("dead-lettered")).toBeLessThan(timeline.indexOf("replayed"));
    expect(timeline.indexOf("replayed")).toBeLessThan(timeline.indexOf("delivered"));
    expect((await h.streamMessages("dlq")).filter((m) => m.headers["Carehub-Hub-Id"] === deadId)).toHaveLength(0);
  });
});
