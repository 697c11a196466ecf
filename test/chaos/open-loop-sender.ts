/**
 * The overload's open-loop senders in a process of their own, so the chaos driver (receivers, verification,
 * probes) and the senders do not share one event loop: in one process under the full-length 3× overload the
 * driver ran at 90–94 % of a core and 2.6 GB, too busy to read the answers and the closes on the 1,000 connections
 * it held to the gateway (docs/reliability.md). Sends a new message every 1/rate s (load.ts, open loop) from
 * message number `first` until SIGTERM, then waits until every message begun is stored and prints
 * {"figures","next","accepted"}: the load's figures, the number of the next message (for the driver's Traffic) and
 * what verification needs of each accepted message (no bodies).
 * Run: node test/chaos/open-loop-sender.ts <gateway url> <msg/s> <first message number>
 */
import type { Outgoing } from "../src/pipeline-traffic.ts";
import { Load, Traffic } from "./load.ts";

const [gatewayUrl, rate, first] = process.argv.slice(2);
if (gatewayUrl === undefined || rate === undefined || first === undefined) {
  throw new Error("usage: open-loop-sender.ts <gateway url> <msg/s> <first message number>");
}
const traffic = new Traffic(Number(first));
const load = new Load(gatewayUrl, traffic);
load.openLoop(Number(rate));
process.once("SIGTERM", () => {
  load.stop().then(
    (figures) => {
      const accepted = load.accepted.map(
        ({ from, messageId, contentType, to, corrects }): Outgoing => ({
          from,
          messageId,
          contentType,
          body: "",
          to,
          ...(corrects === undefined ? {} : { corrects }),
        }),
      );
      process.stdout.write(JSON.stringify({ figures, next: traffic.issued, accepted }), () => process.exit(0));
    },
    (error: unknown) => {
      process.stderr.write(`open-loop sender: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
});
