import type { SenderOrder } from "@carehub/bus";
import type { Endpoint, Envelope } from "@carehub/schemas";
import { describe, expect, it } from "vitest";
import { ENDPOINTS, labResult, partyOf, sampleResult } from "../test/fixtures.ts";
import { type RouterTestbed, routerTestbed, waitFor } from "../test/support.ts";
import { DEFAULT_ROUTER_OPTIONS } from "./router-options.ts";

/**
 * Corrections after their originals (docs/decisions/0075) with many envelopes in hand at once (decision 0102): a
 * backlog of originals and their corrections from three senders is on PIPELINE before the router starts, so the
 * router's first pulls hand it originals and their corrections together. Every correction's copy must be on OUTBOX
 * after its original's and name it (`Carehub-After`).
 */
const FLOWS: ReadonlyArray<{ from: Endpoint; to: Endpoint }> = [
  { from: ENDPOINTS.lab, to: ENDPOINTS.practiceA },
  { from: ENDPOINTS.practiceA, to: ENDPOINTS.practiceB },
  { from: ENDPOINTS.practiceB, to: ENDPOINTS.practiceA },
];
const PAIRS_PER_SENDER = 8;

interface Pair {
  original: Envelope;
  correction: Envelope;
}

/**
 * Puts the backlog on PIPELINE: per sender, pairs of an OIOXML result about a sample and its corrected result (which
 * names no original: only the sender's order holds it back) and, with `linked`, pairs of a result and a correction
 * linking it by message id (which the facts script holds back too). Each correction right behind its original.
 */
async function fillBacklog(bed: RouterTestbed, linked: boolean): Promise<Pair[]> {
  const pairs: Pair[] = [];
  for (let i = 0; i < PAIRS_PER_SENDER; i++) {
    for (const { from, to } of FLOWS) {
      const addressed = { sourceEndpoint: from.id, sender: partyOf(from, "gln"), receivers: [partyOf(to, "gln")] };
      const sample = `${bed.ns}-${from.id}-${i}`;
      const original = await bed.ingest({
        ...addressed,
        content: linked ? labResult() : sampleResult(sample, false),
      });
      const correction = await bed.ingest({
        ...addressed,
        content: linked ? labResult() : sampleResult(sample, true),
        ...(linked ? { links: { corrects: { messageId: original.messageId } } } : {}),
      });
      pairs.push({ original, correction });
    }
  }
  for (const { original, correction } of pairs) {
    await bed.toPipeline(original);
    await bed.toPipeline(correction);
  }
  return pairs;
}

async function expectEachAfterItsOriginal(bed: RouterTestbed, pairs: Pair[]): Promise<void> {
  const copyAt = (hubId: string) => bed.outbox.messages.findIndex((m) => m.headers["Carehub-Hub-Id"] === hubId);
  await waitFor(
    () => pairs.every(({ correction }) => bed.events.of("routed", correction.hubId).length > 0),
    "every correction routed",
    30_000,
  );
  for (const { original, correction } of pairs) {
    expect(copyAt(original.hubId), `${original.hubId} copied`).toBeGreaterThanOrEqual(0);
    expect(copyAt(correction.hubId), `${correction.hubId} behind ${original.hubId}`).toBeGreaterThan(
      copyAt(original.hubId),
    );
    expect(bed.outbox.messages[copyAt(correction.hubId)]?.headers["Carehub-After"]).toBe(original.hubId);
  }
}

/** SenderOrder as the router has it, counting the corrections it made wait. */
function counted(waits: { count: number }) {
  return (order: SenderOrder) => ({
    earlierOfSenderSettled: (follower: Parameters<SenderOrder["earlierOfSenderSettled"]>[0]) =>
      order.earlierOfSenderSettled(follower),
    waiting: (follower: Parameters<SenderOrder["waiting"]>[0]) => {
      waits.count += 1;
      return order.waiting(follower);
    },
  });
}

for (const concurrency of [DEFAULT_ROUTER_OPTIONS.concurrency, 64]) {
  describe(`a backlog of originals and corrections, ${concurrency} envelopes in hand`, () => {
    const bed = routerTestbed(`router-burst-${concurrency}`);
    const linkedBed = routerTestbed(`router-burst-linked-${concurrency}`);

    it("routes every correction after its original, naming it", async () => {
      const pairs = await fillBacklog(bed, false);
      const waits = { count: 0 };
      await bed.router({ concurrency, wrapOrder: counted(waits) });
      await expectEachAfterItsOriginal(bed, pairs);
      // The corrections met their originals in flight: the order was kept by waiting, not by chance.
      expect(waits.count).toBeGreaterThan(0);
    }, 60_000);

    it("keeps a linked correction behind its original by the facts alone (the sender's order switched off)", async () => {
      const pairs = await fillBacklog(linkedBed, true);
      const looks = { count: 0 };
      const noOrder = () => ({
        earlierOfSenderSettled: async () => {
          looks.count += 1;
          return true;
        },
        waiting: async () => undefined,
      });
      await linkedBed.router({ concurrency, wrapOrder: noOrder });
      await expectEachAfterItsOriginal(linkedBed, pairs);
      // A correction asks once per delivery: more looks than corrections means some came back, naked by the facts
      // check while their originals were in flight — the order was kept by waiting, not by chance.
      expect(looks.count).toBeGreaterThan(pairs.length);
    }, 60_000);
  });
}
