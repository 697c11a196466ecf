import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { type ClientRequest, request as httpRequest } from "node:http";
import { createClient } from "@carehub/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "./src/harness.ts";

/**
 * The SDK under the gateway's back-pressure (issue 16, item 3), through a whole hub: while a slow sender holds
 * the only request slot, the SDK's send is refused 503 with `Retry-After`; it waits as told and sends again,
 * and once the slot is free the message is accepted, stored and delivered — as is the slow sender's.
 */

const HOMECARE = readFileSync(
  new URL(
    "./fixtures/medcom/examples/fhir/homecareobservation/ig-401cbc36-db1e-4fe0-bf90-6df331dde179.json",
    import.meta.url,
  ),
  "utf8",
);
const MESSAGE_ID = "489de4f2-0d8d-4de2-a7ce-ccb93568799f";
const freshMessage = (id: string) => Buffer.from(HOMECARE.replaceAll(MESSAGE_ID, id));

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ config: { maxInflightRequests: 1 } });
});

afterAll(async () => {
  await h?.close();
});

/** The gateway's count of requests refused for load, from its own /metrics (never refused for load). */
async function overloadAnswers(): Promise<number> {
  const text = await (await fetch(`${h.url}/metrics`)).text();
  return text
    .split("\n")
    .filter((l) => l.startsWith("carehub_gateway_refusals_total{"))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
}

describe("the SDK under back-pressure", () => {
  it("waits for Retry-After and sends again until the hub admits the message; nothing accepted is lost", async () => {
    const slowId = randomUUID();
    const slowBody = freshMessage(slowId);
    let slow: ClientRequest | undefined;
    const slowAnswer = new Promise<number>((resolve, reject) => {
      slow = httpRequest(
        `${h.url}/v1/messages`,
        {
          method: "POST",
          headers: {
            authorization: `Bearer ${h.token("acute-team")}`,
            "content-type": "application/fhir+json",
            "content-length": String(slowBody.byteLength),
          },
        },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      slow.on("error", reject);
      slow.write(slowBody.subarray(0, 100));
    });
    const before = await overloadAnswers();
    // Until the slow upload holds the slot, a probe is admitted (401 without a token).
    await h.waitFor(
      async () => ((await fetch(`${h.url}/v1/stats`)).status === 503 ? true : undefined),
      "the slow upload to hold the only slot",
    );

    const client = createClient({ baseUrl: h.url, token: h.token("acute-team") });
    const sdkId = randomUUID();
    const sent = client.send(freshMessage(sdkId), { contentType: "application/fhir+json" });
    await h.waitFor(
      async () => ((await overloadAnswers()) > before ? true : undefined),
      "the SDK's send to be refused",
    );
    slow?.end(slowBody.subarray(100));

    expect(await slowAnswer).toBe(202);
    expect(await sent).toMatchObject({ messageId: sdkId, status: "received", duplicate: false });
    const delivered = await h.receiver("practice").waitFor((deliveries) => deliveries.length >= 2);
    expect(delivered.map((d) => d.messageId).sort()).toEqual([slowId, sdkId].sort());
  });
});
