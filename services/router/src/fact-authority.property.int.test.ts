import type { Envelope, MessageContent } from "@carehub/schemas";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { ENDPOINTS, gln, LAB_DATABANK_RULE, labResult, partyOf } from "../test/fixtures.ts";
import { routerTestbed, waitFor } from "../test/support.ts";
import { ROUTER_ERROR_CODES } from "./routing-errors.ts";

/**
 * Random sequences of facts from random endpoints, legitimate and not, through the real router (NATS, Redis):
 * lab results sent between practices and the lab (with the databank's rule copies), acknowledgements of them,
 * corrections of them. Whatever the sequence: an acknowledgement is matched only when it comes from an endpoint
 * the hub routed the message to, and refused otherwise; a correction from anyone but the original's sender
 * never reaches an endpoint holding the original; the original sender's own correction is never refused.
 */

/** A third practice: a stranger to what the other two send each other whose results the databank also copies. */
const PRACTICE_C = {
  ...ENDPOINTS.practiceB,
  id: "practice-c",
  name: "practice-c",
  identifiers: { sor: ["100000000000009"], gln: [gln("579000000009")] },
};
const ALL = [...Object.values(ENDPOINTS), PRACTICE_C];

const bed = routerTestbed("router-facts", { endpoints: ALL, rules: [LAB_DATABANK_RULE] });

const SENDERS = ["practice-a", "practice-b", "practice-c", "lab-x"] as const;
const RECEIVERS = ["practice-a", "practice-b", "practice-c"] as const;
const ANYONE = ALL.map((e) => e.id);
const byId = (id: string) => ALL.find((e) => e.id === id) ?? ENDPOINTS.practiceA;

type Step =
  | { type: "send"; from: string; to: string }
  | { type: "ack"; message: number; by: string }
  | { type: "correct"; message: number; by: string; to: string };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    type: fc.constant("send" as const),
    from: fc.constantFrom(...SENDERS),
    to: fc.constantFrom(...RECEIVERS),
  }),
  fc.record({ type: fc.constant("ack" as const), message: fc.nat(), by: fc.constantFrom(...ANYONE) }),
  fc.record({
    type: fc.constant("correct" as const),
    message: fc.nat(),
    by: fc.constantFrom(...SENDERS),
    to: fc.constantFrom(...RECEIVERS),
  }),
);

interface Sent {
  envelope: Envelope;
  /** Who holds it: the endpoints the router sent it to. */
  routedTo: string[];
}

/** Puts the bytes on INGRESS, claims the message id (as gateway and intake do) and hands it to the router. */
async function route(overrides: Partial<Envelope>): Promise<{ envelope: Envelope; routedTo?: string[] }> {
  const message = await bed.ingest(overrides);
  await bed.toPipeline(message);
  const outcome = await waitFor(
    () => bed.events.of("routed", message.hubId)[0] ?? bed.events.of("rejected", message.hubId)[0],
    `the router's decision on ${message.hubId}`,
  );
  return outcome.type === "routed" ? { envelope: message, routedTo: outcome.receivers } : { envelope: message };
}

const ackOf = (respondsTo: string): MessageContent => ({ kind: "acknowledgement", code: "ok", respondsTo, issues: [] });

async function run(steps: Step[]): Promise<void> {
  const sent: Sent[] = [];
  for (const s of steps) {
    if (s.type === "send") {
      const to = s.to === s.from ? (RECEIVERS.find((r) => r !== s.from) ?? "practice-a") : s.to;
      const { envelope: message, routedTo } = await route({
        sourceEndpoint: s.from,
        receivers: [partyOf(byId(to), "gln")],
        content: labResult(),
      });
      expect(routedTo, "a plain result is routed").toBeDefined();
      sent.push({ envelope: message, routedTo: routedTo ?? [] });
      continue;
    }
    const original = sent[s.message % Math.max(sent.length, 1)];
    if (original === undefined) continue;
    if (s.type === "ack") {
      const { envelope: ack, routedTo } = await route({
        sourceEndpoint: s.by,
        kind: "acknowledgement",
        content: ackOf(original.envelope.messageId),
        receivers: [partyOf(byId(original.envelope.sourceEndpoint), "gln")],
      });
      const receiver = original.routedTo.includes(s.by);
      expect(routedTo !== undefined, `${s.by} acknowledging a message routed to ${original.routedTo}`).toBe(receiver);
      if (receiver) {
        await waitFor(
          () => bed.events.of("acknowledged", original.envelope.hubId).find((e) => e.ackHubId === ack.hubId),
          "the acknowledged event",
        );
      } else {
        expect(bed.events.of("rejected", ack.hubId)[0]?.issues[0]?.code).toBe(ROUTER_ERROR_CODES.ackNotAReceiver);
      }
      continue;
    }
    const to = s.to === s.by ? (RECEIVERS.find((r) => r !== s.by) ?? "practice-a") : s.to;
    const { routedTo } = await route({
      sourceEndpoint: s.by,
      receivers: [partyOf(byId(to), "gln")],
      content: labResult(),
      links: { corrects: { messageId: original.envelope.messageId } },
    });
    if (s.by === original.envelope.sourceEndpoint) {
      expect(routedTo, "the original sender's own correction").toBeDefined();
    } else {
      const reached = (routedTo ?? []).filter((endpoint) => original.routedTo.includes(endpoint));
      expect(reached, `${s.by} correcting a message of ${original.envelope.sourceEndpoint}`).toEqual([]);
    }
  }
  // No message ever counts an acknowledgement from an endpoint it was not routed to.
  for (const { envelope: message, routedTo } of sent) {
    for (const acknowledged of bed.events.of("acknowledged", message.hubId)) {
      expect(routedTo).toContain(acknowledged.endpoint);
    }
  }
}

beforeAll(async () => {
  await bed.router({ concurrency: 4 });
});

describe("facts about messages, in any order from anyone", () => {
  it("are believed only from endpoints with a part in the message", async () => {
    await fc.assert(fc.asyncProperty(fc.array(step, { minLength: 3, maxLength: 12 }), run), { numRuns: 40 });
  }, 120_000);
});
