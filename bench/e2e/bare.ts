/**
 * The ceiling: producer → three hops (durable pull consume → acked publish) → sink, the plain NATS client in
 * five processes (the sink is the driver), on the same private servers as the hub runs get. Optionally one
 * Redis SET per message per hop.
 */
import { AckPolicy, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { BARE_STREAM, bareSubject, SENT_HEADER } from "./bare-names.ts";
import { type Child, childPids, isText, startChild } from "./children.ts";
import { type Infra, streamFootprint } from "./infra.ts";
import { CpuMeter, type Percentiles, type ProcessFigures, percentiles } from "./measure.ts";
import { type MixName, messageAt } from "./messages.ts";
import { DeliveryCounter } from "./receivers.ts";

const SCRIPT = new URL("./bare-process.ts", import.meta.url);
const HOPS = 3;

export interface BareResult {
  scenario: string;
  messages: number;
  mix: MixName;
  redisPerHop: boolean;
  msgsPerSec: number;
  latencyMs: Percentiles;
  processes: Record<string, ProcessFigures>;
  streamBytesPerMsg: number;
  lost: number;
  duplicates: number;
}

export async function runBare(
  infra: Infra,
  options: { messages: number; mix: MixName; redisPerHop: boolean; tag: string },
): Promise<BareResult> {
  const nc = await connect({ servers: infra.natsUrl, name: "bench-bare-sink" });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: BARE_STREAM, subjects: ["bare.>"] });
  const durables = ["hop1", "hop2", "hop3", "sink"];
  for (const [n, durable] of durables.entries()) {
    await jsm.consumers.add(BARE_STREAM, {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      filter_subject: bareSubject(n),
      max_ack_pending: 1_000,
    });
  }
  const children: Child[] = [];
  const counter = new DeliveryCounter(new Map());
  try {
    for (let hop = 1; hop <= HOPS; hop++) {
      const child = await startChild(`hop${hop}`, SCRIPT, [
        "hop",
        infra.natsUrl,
        String(hop),
        options.redisPerHop ? infra.redisUrl : "",
      ]);
      children.push(child);
      await child.next(isText("ready"));
    }
    const sink = await jsm.jetstream().consumers.get(BARE_STREAM, "sink");
    const messages = await sink.consume({ max_messages: 256 });
    void (async () => {
      for await (const m of messages) {
        counter.record((m.headers?.get("Nats-Msg-Id") ?? "").replace(/@s\d$/, ""), Number(m.headers?.get(SENT_HEADER)));
        m.ack();
      }
    })();
    const producer = await startChild("producer", SCRIPT, [
      "producer",
      infra.natsUrl,
      String(options.messages),
      options.mix,
      options.tag,
    ]);
    children.push(producer);
    const meter = new CpuMeter({
      producer: producer.pid,
      ...Object.fromEntries(children.slice(0, HOPS).map((c) => [c.name, c.pid])),
      "sink (driver)": "self",
      "nats-server": childPids("nats-server")[0] ?? "self",
      ...(options.redisPerHop ? { "redis-server": childPids("redis-server")[0] ?? "self" } : {}),
    });
    await producer.next(isText("ready"));
    meter.start();
    const started = performance.now();
    const complete = await counter.waitFor(options.messages, 120_000);
    const seconds = (performance.now() - started) / 1000;
    const processes = meter.stop(options.messages);
    await messages.close();
    const expected = Array.from({ length: options.messages }, (_, i) => messageAt(options.mix, i, options.tag).id);
    const { missing, unexpected } = counter.check(expected);
    if (!complete || missing.length > 0 || unexpected.length > 0 || counter.duplicates > 0)
      throw new Error(
        `bare pipeline lost ${missing.length}, duplicated ${counter.duplicates}, invented ${unexpected.length} messages`,
      );
    const streams = await streamFootprint(jsm, BARE_STREAM);
    return {
      scenario: options.redisPerHop ? "bare + Redis SET per hop" : "bare three hops",
      messages: options.messages,
      mix: options.mix,
      redisPerHop: options.redisPerHop,
      msgsPerSec: Math.round(options.messages / seconds),
      latencyMs: percentiles(counter.latenciesMs),
      processes,
      // Four copies (s0..s3) are stored; per message per copy is what a hop costs.
      streamBytesPerMsg: Math.round(streams.bytes / options.messages),
      lost: missing.length,
      duplicates: counter.duplicates,
    };
  } finally {
    for (const child of children) await child.stop();
    await jsm.streams.delete(BARE_STREAM).catch(() => undefined);
    await nc.close();
  }
}
