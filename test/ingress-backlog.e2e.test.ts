import { randomUUID } from "node:crypto";
import { createClient } from "@carehub/client";
import { type RunningHub, startHub } from "@carehub/hub";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "./src/harness.ts";
import { freshHomecare } from "./src/homecare-traffic.ts";

/**
 * The gateway says when the hub is behind (CAREHUB_MAX_INGRESS_BACKLOG, docs/decisions/0084): with intake
 * stopped, messages pile up on INGRESS; once more than the bound wait, a new message is refused 503
 * `CAREHUB_ERR_GATEWAY_INGRESS_BACKLOG` with `Retry-After` (queries still answered); the SDK waits as told, and
 * when intake is back and the backlog drained its message is admitted. Every message the gateway accepted is
 * delivered, once.
 */

/** A new HomeCareObservation (acute team → practice) with message id `id`. */
const freshMessage = (id: string) => freshHomecare(id).body;
const FHIR = "application/fhir+json";
const BOUND = 5;

let h: Harness;
let intake: RunningHub | undefined;
/** Intake alone, in a hub of its own on the harness's namespace: stopped and started again by the test. */
const startIntake = async () => {
  intake = await startHub({ config: h.hub.config, registry: h.registry, services: ["intake"] });
};

beforeAll(async () => {
  h = await startHarness({
    services: ["gateway", "router", "dispatcher", "tracker"],
    config: { maxIngressBacklog: BOUND },
  });
  await startIntake();
});

afterAll(async () => {
  await intake?.stop();
  await h?.close();
});

/** The gateway's refusals for the backlog so far, from its own /metrics. */
async function backlogRefusals(): Promise<number> {
  const text = await (await fetch(`${h.url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith('carehub_gateway_refusals_total{bound="ingress-backlog"}'));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(" ") + 1));
}

describe("the gateway's INGRESS backlog bound", () => {
  it("refuses new messages with Retry-After while intake is behind, admits again once it caught up, and loses nothing accepted", async () => {
    // The pipeline runs: a message goes through (and the intake consumer exists).
    const firstId = randomUUID();
    expect((await h.send("acute-team", freshMessage(firstId), FHIR)).status).toBe(202);
    await h.receiver("practice").waitFor((d) => d.some((x) => x.messageId === firstId));

    await intake?.stop();
    intake = undefined;
    // Intake stopped: every message accepted now waits on INGRESS until the gateway reads a backlog over the bound.
    const accepted = [firstId];
    let refused: Response | undefined;
    const deadline = Date.now() + 30_000;
    while (refused === undefined && Date.now() < deadline) {
      const id = randomUUID();
      const answer = await h.send("acute-team", freshMessage(id), FHIR);
      if (answer.status === 202) accepted.push(id);
      else if (answer.status === 503) refused = answer;
      else throw new Error(`unexpected answer ${answer.status}: ${await answer.text()}`);
      if (answer.status === 202) await answer.body?.cancel();
    }
    if (refused === undefined) throw new Error("the gateway never refused for the backlog");
    // It refused once the backlog it sees — the last reading (once a second) plus what it admitted since — passed
    // the bound: never before it admitted more than the bound (the first message included, which intake may have
    // finished after the last reading), and not a second's worth of messages after (one more at most: a message
    // admitted while a reading was asked for may not be in it).
    expect(accepted.length).toBeGreaterThan(BOUND);
    expect(accepted.length - 1).toBeLessThanOrEqual(BOUND + 2);
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(30);
    expect(await refused.json()).toEqual({ code: "CAREHUB_ERR_GATEWAY_INGRESS_BACKLOG", message: expect.any(String) });
    expect(await backlogRefusals()).toBeGreaterThan(0);
    // Only messages are refused: a query is still answered.
    expect(
      (await fetch(`${h.url}/v1/stats`, { headers: { authorization: `Bearer ${h.token("operator")}` } })).status,
    ).toBe(200);

    // The SDK is refused too, and waits as told.
    const refusalsBefore = await backlogRefusals();
    const client = createClient({ baseUrl: h.url, token: h.token("acute-team"), busyRetries: 20 });
    const sdkId = randomUUID();
    const sent = client.send(freshMessage(sdkId), { contentType: FHIR });
    await h.waitFor(
      async () => ((await backlogRefusals()) > refusalsBefore ? true : undefined),
      "the SDK's send to be refused for the backlog",
    );

    // Intake back: the backlog drains, the gateway admits again and the SDK's message gets in.
    await startIntake();
    expect(await sent).toMatchObject({ messageId: sdkId, status: "received", duplicate: false });
    accepted.push(sdkId);
    expect((await h.send("acute-team", freshMessage(randomUUID()), FHIR)).status).toBe(202);

    // Every message accepted was delivered, exactly once.
    const practice = h.receiver("practice");
    await practice.waitFor((d) => accepted.every((id) => d.some((x) => x.messageId === id)), 60_000);
    const delivered = practice.accepted().map((d) => d.messageId);
    for (const id of accepted)
      expect(
        delivered.filter((x) => x === id),
        id,
      ).toHaveLength(1);
  }, 120_000);
});
