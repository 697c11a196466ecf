import type { LedgerRedis } from "@carehub/ledger";
import type { Redis } from "ioredis";

type Reply = (error: Error | null | undefined, reply?: unknown) => void;

/**
 * The message ledger's Redis for the gateway (docs/decisions/0086): its look-ups (`MGET`) go at once, as before;
 * its records (`SET`: where INGRESS stored each message, written after the publish) made in one tick go together
 * as one pipeline — one socket write for the gateway, one read for Redis — sent in `process.nextTick`, so no
 * record waits for another event-loop turn. JetStream acknowledges the gateway's publishes in bursts (one socket
 * read resumes tens of requests), so at load the records of a burst share one write; alone, a record goes as
 * before. Each record is still its own command with its own reply: the pipeline is not a transaction, and a
 * failed record fails only its own request (which logs it and answers 202: the bytes are stored).
 */
export function tickBatchedRecords(redis: Redis): LedgerRedis {
  let batch: { set(...args: unknown[]): unknown } | undefined;
  const set = (...args: unknown[]): Promise<unknown> =>
    new Promise((resolve, reject) => {
      if (batch === undefined) {
        const sending = redis.pipeline();
        batch = sending as unknown as { set(...args: unknown[]): unknown };
        process.nextTick(() => {
          batch = undefined;
          // Every command answers through its own callback; the pipeline's own promise adds nothing.
          sending.exec().catch(() => undefined);
        });
      }
      const reply: Reply = (error, value) => (error ? reject(error) : resolve(value));
      batch.set(...args, reply);
    });
  return { mget: redis.mget.bind(redis), set: set as LedgerRedis["set"] };
}
