import type { JetStreamManager } from "@nats-io/jetstream";

/**
 * Whether a durable consumer has acknowledged (or terminated) every message of its stream before `seq`: its ack
 * floor has reached `seq - 1`. A message that must follow earlier ones (a correction after its original) asks
 * this before it goes: an earlier message held by a worker that crashed, or by another copy of the worker, keeps
 * the floor below it until it is redelivered and finished. Each call reads the consumer's info (one request).
 */
export async function earlierMessagesSettled(
  jsm: JetStreamManager,
  stream: string,
  durable: string,
  seq: number,
): Promise<boolean> {
  const info = await jsm.consumers.info(stream, durable);
  return info.ack_floor.stream_seq >= seq - 1;
}
