/**
 * pnpm bench:e2e:smoke — the e2e bench's machinery, end to end, in seconds (for CI; no vitest, no files
 * written): the bare pipeline and the hub (signed webhooks, NATS inboxes, acknowledging receivers; fed over HTTP,
 * and once over the senders' NATS ingress subjects) each carry a few messages, every one counted by id. Exit 1 on any loss, duplicate or failure.
 */
import { runBare } from "./bare.ts";
import { runHub } from "./hub.ts";
import { startInfra } from "./infra.ts";

/**
 * A delivered message keeps three keys of its own in Redis (docs/performance.md, "Footprint round", and
 * docs/decisions/0124): its record (`m`), its marker hash (`mk`: the sender's first copy, routed, delivered per
 * receiver) and the receiver's loop marker (`rcvd`); index entries and counters live in shared keys. A fourth key
 * per message — the first copy or a marker of its own again, a copy of the record — is a regression of the
 * footprint issue 15 asks for.
 */
const MAX_KEYS_PER_MESSAGE = 3;

/** Classes of key with about one key per message (≥ 0.5) are a message's own; the rest are shared. */
function checkKeysPerMessage(classes: Record<string, { bytes: number; keys: number }>): void {
  const own = Object.entries(classes).filter(([, c]) => c.keys >= 0.5);
  const keys = Math.round(own.reduce((sum, [, c]) => sum + c.keys, 0));
  const listed = own.map(([name, c]) => `${name} ${c.keys}`).join(", ");
  if (keys > MAX_KEYS_PER_MESSAGE) {
    throw new Error(
      `a delivered message keeps ${keys} keys of its own in Redis (at most ${MAX_KEYS_PER_MESSAGE}): ${listed}`,
    );
  }
  console.log(`smoke: ${keys} Redis keys of its own per delivered message (${listed})`);
}

const run = `s${Date.now().toString(36)}`;
const infra = await startInfra();
let failed = false;
try {
  const bare = await runBare(infra, { messages: 300, mix: "mixed", redisPerHop: true, tag: `${run}-bare` });
  console.log(`smoke: bare pipeline carried ${bare.messages} messages, none lost or duplicated`);
  for (const delivery of ["webhook", "inbox", "acks"] as const) {
    const hub = await runHub(infra, { name: delivery, delivery, messages: 30, mix: "mixed" }, `${run}-${delivery}`);
    console.log(`smoke: hub (${delivery}) delivered ${hub.messages} messages, none lost or duplicated`);
    if (delivery === "webhook") checkKeysPerMessage(hub.redisByKeyClass ?? {});
  }
  const nats = await runHub(
    infra,
    { name: "NATS ingress", delivery: "webhook", feed: "nats", messages: 30, mix: "mixed" },
    `${run}-nats`,
  );
  console.log(`smoke: hub (fed over NATS ingress) delivered ${nats.messages} messages, none lost or duplicated`);
} catch (error) {
  failed = true;
  console.error("smoke: FAILED", error);
} finally {
  await infra.stop();
}
process.exit(failed ? 1 : 0);
