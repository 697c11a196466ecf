/**
 * pnpm bench:e2e:smoke — the e2e bench's machinery, end to end, in seconds (for CI; no vitest, no files
 * written): the bare pipeline and the hub (signed webhooks, NATS inboxes, acknowledging receivers) each
 * carry a few messages, every one counted by id. Exit 1 on any loss, duplicate or failure.
 */
import { runBare } from "./bare.ts";
import { runHub } from "./hub.ts";
import { startInfra } from "./infra.ts";

const run = `s${Date.now().toString(36)}`;
const infra = await startInfra();
let failed = false;
try {
  const bare = await runBare(infra, { messages: 300, mix: "mixed", redisPerHop: true, tag: `${run}-bare` });
  console.log(`smoke: bare pipeline carried ${bare.messages} messages, none lost or duplicated`);
  for (const delivery of ["webhook", "inbox", "acks"] as const) {
    const hub = await runHub(infra, { name: delivery, delivery, messages: 30, mix: "mixed" }, `${run}-${delivery}`);
    console.log(`smoke: hub (${delivery}) delivered ${hub.messages} messages, none lost or duplicated`);
  }
} catch (error) {
  failed = true;
  console.error("smoke: FAILED", error);
} finally {
  await infra.stop();
}
process.exit(failed ? 1 : 0);
