import { HEADER, inlineMessageLimit, serverMaxPayload } from "@carehub/bus";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "./src/harness.ts";
import { homecareOfSize } from "./src/sized-message.ts";

/**
 * One size limit, end to end (issue 16, item 4): the largest message the gateway accepts is CAREHUB_MAX_BODY_BYTES,
 * here 9 MiB — more than the NATS server's max_payload (8 MiB) — and what a NATS message cannot hold travels by
 * claim check (the JetStream object store). A message exactly at the limit is accepted and delivered to its
 * receiver byte for byte; one byte more is refused 413 at once, with the limit in the answer. (Before, a 9 MB valid
 * message got 503 forever, and a body within a few hundred bytes of max_payload was accepted, then could not be
 * written to OUTBOX and was dead-lettered without the sender being told.)
 */
const LIMIT = 9 * 1024 * 1024;

let h: Harness;
const limit = LIMIT;

beforeAll(async () => {
  // OUTBOX by reference on (off by default, docs/decisions/0109): the copy names the INGRESS copy.
  h = await startHarness({ config: { maxBodyBytes: LIMIT, outboxByReference: true } });
  // The point of the test: the limit is above what one NATS message can hold.
  expect(inlineMessageLimit(serverMaxPayload(h.hub.bus.nc))).toBeLessThan(LIMIT);
});

afterAll(async () => {
  await h?.close();
});

describe("the one size limit", () => {
  it("refuses a message one byte over the limit with 413 at once, naming the limit", async () => {
    const response = await h.send("acute-team", homecareOfSize(limit + 1).bytes, "application/fhir+json");
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({
      code: "CAREHUB_ERR_GATEWAY_BODY_TOO_LARGE",
      message: `the message is larger than this hub accepts: at most ${limit} bytes`,
      maxBytes: limit,
    });
  });

  it("accepts a message exactly at the limit, larger than a NATS message, and delivers it byte for byte", async () => {
    const { id, bytes } = homecareOfSize(limit);
    const response = await h.send("acute-team", bytes, "application/fhir+json");
    expect(response.status).toBe(202);
    const deliveries = await h.receiver("practice").waitFor((d) => d.some((x) => x.messageId === id), 40_000);
    const delivered = deliveries.find((x) => x.messageId === id);
    expect(delivered?.body.byteLength).toBe(limit);
    expect(delivered?.body.equals(bytes)).toBe(true);

    // It travelled by claim check: INGRESS holds an empty message naming the stored object, and the OUTBOX copy an
    // empty message naming that INGRESS copy (docs/decisions/0109), which the dispatcher followed to the object.
    const { ingress, outbox } = h.hub.bus.topology.streams;
    const archived = await h.hub.bus.jsm.streams.getMessage(ingress, {
      last_by_subj: `${h.namespace}.ingress.acute-team`,
    });
    expect(archived?.data.byteLength).toBe(0);
    expect(archived?.header?.get(HEADER.claimCheck)).toMatch(/^[0-9a-f]{64}$/);
    const copy = await h.hub.bus.jsm.streams.getMessage(outbox, { last_by_subj: `${h.namespace}.outbox.practice` });
    expect(copy?.data.byteLength).toBe(0);
    expect(copy?.header?.get(HEADER.payloadRef)).toMatch(new RegExp(`^${ingress}:${archived?.seq}:${limit}:`));
  }, 60_000);
});
