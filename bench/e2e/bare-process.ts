/**
 * One process of the bare pipeline, the ceiling the hub is measured against: the plain NATS client, no
 * carehub code. Roles (argv[2]):
 *   producer <natsUrl> <count> <mix> <tag>    publishes `count` messages of the mix to bare.s0 (acked, windowed)
 *   hop <natsUrl> <n> [redisUrl]              durable pull consume of bare.s<n-1> → acked publish to bare.s<n>,
 *                                             the source acked once the publish is; with redisUrl also one
 *                                             Redis SET per message (as a hub stage writes a marker)
 * Started by bare.ts with an IPC channel: it answers "ready", a producer "done"; "stop" ends it.
 */
import { jetstream } from "@nats-io/jetstream";
import { connect, headers } from "@nats-io/transport-node";
import { Redis } from "ioredis";
import { BARE_STREAM, bareSubject, SENT_HEADER } from "./bare-names.ts";
import type { MixName } from "./messages.ts";
import { nowMs, Window } from "./window.ts";

const WINDOW = 256;

const [role = "", natsUrl = "", arg1 = "", arg2 = "", arg3] = process.argv.slice(2);
const nc = await connect({ servers: natsUrl, name: `bare-${role}-${arg1}` });
const js = jetstream(nc);
const window = new Window(WINDOW);
let stopping = false;

// A driver that died (killed, crashed) takes its pipeline with it.
process.on("disconnect", () => process.exit(1));
process.on("message", (message) => {
  if (message === "stop") {
    stopping = true;
    void window
      .drained()
      .then(() => nc.drain())
      .finally(() => process.exit(0));
  }
});

if (role === "producer") {
  const count = Number(arg1);
  const mix = arg2 as MixName;
  // Only the producer needs the message builders (and their memory).
  const { messageAt } = await import("./messages.ts");
  process.send?.("ready");
  for (let i = 0; i < count && !stopping; i++) {
    const message = messageAt(mix, i, arg3 ?? "bare");
    const h = headers();
    h.set(SENT_HEADER, String(nowMs()));
    await window.acquire();
    js.publish(bareSubject(0), message.body, { msgID: message.id, headers: h }).then(
      () => window.release(),
      (error: unknown) => {
        console.error("bare producer: publish failed", error);
        process.exit(1);
      },
    );
  }
  await window.drained();
  process.send?.("done");
} else if (role === "hop") {
  const hop = Number(arg1);
  const redis = arg2 === undefined || arg2 === "" ? undefined : new Redis(arg2);
  const consumer = await js.consumers.get(BARE_STREAM, `hop${hop}`);
  const messages = await consumer.consume({ max_messages: WINDOW });
  process.send?.("ready");
  for await (const m of messages) {
    await window.acquire();
    // One stream holds every hop's copy: each copy needs its own dedup id.
    const id = (m.headers?.get("Nats-Msg-Id") ?? "").replace(/@s\d$/, "");
    const forward = () => {
      const h = headers();
      h.set(SENT_HEADER, m.headers?.get(SENT_HEADER) ?? "");
      return js.publish(bareSubject(hop), m.data, { msgID: `${id}@s${hop}`, headers: h });
    };
    (redis === undefined ? forward() : redis.set(`bare:${hop}:${id}`, "1", "EX", 600).then(forward)).then(
      () => {
        m.ack();
        window.release();
      },
      (error: unknown) => {
        console.error(`bare hop ${hop}: forward failed`, error);
        m.nak(1_000);
        window.release();
      },
    );
  }
} else {
  console.error(`bare-process: unknown role ${role}`);
  process.exit(2);
}
