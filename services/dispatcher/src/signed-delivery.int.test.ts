import { createLogger } from "@carehub/observability";
import { generateWebhookSecret, verifyWebhookSignature } from "@carehub/webhook-signature";
import { beforeAll, describe, expect, it } from "vitest";
import {
  dispatcherTestbed,
  FAST_DISPATCH,
  httpDelivery,
  type ReceivedRequest,
  SwappableRegistry,
  type TestReceiver,
  testEndpoint,
  testRegistry,
  waitFor,
} from "../test/support.ts";
import type { RunningDispatcher } from "./dispatcher.ts";

// Standard Webhooks signing of HTTP deliveries (docs/decisions/0010), against the real NATS and Redis and a
// real HTTP receiver that records the exact bytes and headers it got.
const bed = dispatcherTestbed("sign");
const current = generateWebhookSecret();
const next = generateWebhookSecret();
let dispatcher: RunningDispatcher;
let signed: TestReceiver;
let unsigned: TestReceiver;
const warnings: Array<{ msg: string; unsignedEndpoints?: string[]; registryVersion?: string }> = [];
const registry = new SwappableRegistry(testRegistry([testEndpoint("placeholder")]));

function endpoints(extra: ReturnType<typeof testEndpoint>[] = []) {
  return [
    testEndpoint("ep-signed", {
      delivery: {
        mode: "http",
        url: signed.url,
        timeoutMs: 5_000,
        // A rotation in progress: the hub signs with both secrets.
        signing: { secrets: [{ value: current }, { value: next }] },
      },
    }),
    testEndpoint("ep-unsigned", httpDelivery(unsigned)),
    ...extra,
  ];
}

function verifyAsReceived(request: ReceivedRequest, secrets: string[]) {
  // The receiver's clock is the time it got the request; the body is the bytes as they came off the wire.
  return verifyWebhookSignature({ body: request.body, headers: request.headers, secrets, now: request.at });
}

beforeAll(async () => {
  // The first attempt at each message fails, so every message is also retried.
  signed = await bed.receiver((n) => ({ status: n % 2 === 0 ? 503 : 202 }));
  unsigned = await bed.receiver();
  registry.set(testRegistry(endpoints()));
  const logger = createLogger({
    name: "dispatcher-test",
    destination: {
      write: (line: string) => {
        const entry = JSON.parse(line) as { level: number; msg: string };
        if (entry.level === 40) warnings.push(entry);
      },
    },
  });
  dispatcher = await bed.dispatcher({ registry, logger, options: FAST_DISPATCH });
});

describe("signed webhook deliveries", () => {
  it("sign every attempt over the exact bytes sent, with the hub id as webhook-id, verifiable with either secret", async () => {
    const id = `signed-${Date.now()}`;
    // An OIOXML letter in ISO-8859-1: the signature covers the bytes, not a decoded copy.
    const body = Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><Emessage>Søren Ærø</Emessage>', "latin1");
    await bed.toOutbox("ep-signed", id, { body, contentType: "application/xml" });
    await waitFor(() => bed.events.of("delivered", id)[0], "delivered event");

    const attempts = signed.requests.filter((r) => r.headers["carehub-hub-id"] === id);
    expect(attempts.map((r) => r.answer)).toEqual([503, 202]);
    for (const request of attempts) {
      expect(request.body.equals(body)).toBe(true);
      expect(request.headers["webhook-id"]).toBe(id);
      expect(request.headers["webhook-signature"]?.toString().split(" ")).toHaveLength(2);
      // Kept beside the signature headers.
      expect(request.headers).toMatchObject({ "carehub-hub-id": id, "carehub-message-id": `msg-${id}` });
      // A receiver that knows only the old secret, only the new one, or both, accepts it.
      expect(verifyAsReceived(request, [current])).toEqual({
        id,
        timestampSeconds: Number(request.headers["webhook-timestamp"]),
      });
      expect(verifyAsReceived(request, [next]).id).toBe(id);
      expect(() => verifyAsReceived(request, [generateWebhookSecret()])).toThrow(/none of the 2 v1 signature/);
      // Any change to what was sent breaks it.
      const tampered = { ...request, body: Buffer.concat([request.body, Buffer.from(" ")]) };
      expect(() => verifyAsReceived(tampered, [current])).toThrow(/none of the 2/);
    }
    // The retry carries the time of its own attempt, never an earlier one.
    const [first, second] = attempts.map((r) => Number(r.headers["webhook-timestamp"]));
    expect(second).toBeGreaterThanOrEqual(first ?? Number.POSITIVE_INFINITY);
  });

  it("leave deliveries to an endpoint without signing unsigned, and warn once per registry naming it", async () => {
    const id = `unsigned-${Date.now()}`;
    await bed.toOutbox("ep-unsigned", id, {
      body: Buffer.from('{"resourceType":"Bundle"}'),
      contentType: "application/fhir+json",
    });
    await waitFor(() => bed.events.of("delivered", id)[0], "delivered event");
    const request = unsigned.requests.find((r) => r.headers["carehub-hub-id"] === id);
    expect(request?.headers["webhook-signature"]).toBeUndefined();
    expect(request?.headers["webhook-id"]).toBeUndefined();

    const first = registry.current().version;
    const named = warnings.filter((w) => w.registryVersion === first);
    expect(named).toHaveLength(1);
    expect(named[0]?.unsignedEndpoints).toEqual(["ep-unsigned"]);

    // A reload (a new snapshot) that adds another unsigned endpoint is warned about once more, naming both.
    registry.set(
      testRegistry(endpoints([testEndpoint("ep-unsigned-2", { delivery: { mode: "http", url: unsigned.url } })])),
    );
    await dispatcher.sync();
    await dispatcher.sync();
    const second = warnings.filter((w) => w.registryVersion === registry.current().version);
    expect(second).toHaveLength(1);
    expect(second[0]?.unsignedEndpoints).toEqual(["ep-unsigned", "ep-unsigned-2"]);
    expect(JSON.stringify(warnings)).not.toContain(current.slice(6));
  });
});
