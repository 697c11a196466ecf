import { HEADER, inlineMessageLimit, serverMaxPayload } from "@carehub/bus";
import { consumeInbox, createClient, type ReceivedMessage } from "@carehub/client";
import { sharedNatsUrl } from "@carehub/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultEndpoints, type Harness, startHarness } from "./src/harness.ts";
import { homecareOfSize } from "./src/sized-message.ts";

/**
 * A message larger than one NATS message, to an endpoint in NATS delivery mode (issue 16, docs/decisions/0062): the
 * dispatcher puts it on the endpoint's inbox subject in parts (`Carehub-Chunk`), and `@carehub/client`'s
 * consumeInbox joins them before the application sees the message. Before, such a message could not be delivered
 * (the inbox publish was refused for its size, and the copy was dead-lettered).
 */
const LIMIT = 9 * 1024 * 1024;

let h: Harness;

beforeAll(async () => {
  const endpoints = defaultEndpoints().map((e) =>
    e.id === "practice" ? { ...e, delivery: { mode: "nats" as const } } : e,
  );
  h = await startHarness({ endpoints, config: { maxBodyBytes: LIMIT } });
  expect(inlineMessageLimit(serverMaxPayload(h.hub.bus.nc))).toBeLessThan(LIMIT);
});

afterAll(async () => {
  await h?.close();
});

describe("a large message to a NATS-inbox endpoint", () => {
  it("reaches the endpoint's application whole, through the SDK, and is acknowledged once", async () => {
    const { id, bytes } = homecareOfSize(LIMIT);
    const handled: ReceivedMessage[] = [];
    const errors: unknown[] = [];
    const inbox = await consumeInbox({
      natsUrl: sharedNatsUrl(),
      namespace: h.namespace,
      endpointId: "practice",
      client: createClient({ baseUrl: h.url, token: h.token("practice"), endpointId: "practice" }),
      onMessage: (received) => void handled.push(received),
      onError: (error) => errors.push(error),
    });
    try {
      const response = await h.send("acute-team", bytes, "application/fhir+json");
      expect(response.status).toBe(202);
      const hubId = ((await response.json()) as { id: string }).id;
      await h.waitForEvents((e) => e.type === "acknowledged" && e.hubId === hubId, 60_000);
      expect(handled).toHaveLength(1);
      expect(handled[0]?.message.messageId).toBe(id);
      expect(Buffer.from(handled[0]?.body ?? []).equals(bytes)).toBe(true);
      expect(errors).toEqual([]);

      // It went in parts on the endpoint's own subject, each no larger than a NATS message can hold.
      const stream = h.hub.bus.topology.streams.inbox;
      const last = await h.hub.bus.jsm.streams.getMessage(stream, {
        last_by_subj: h.hub.bus.topology.subjects.inbox("practice"),
      });
      const [index, count] = (last?.header?.get(HEADER.chunk) ?? "").split("/").map(Number);
      expect(count).toBeGreaterThan(1);
      expect(index).toBe(count);
      expect(last?.data.byteLength).toBeLessThanOrEqual(inlineMessageLimit(serverMaxPayload(h.hub.bus.nc)));
    } finally {
      await inbox.stop();
    }
  }, 90_000);
});
