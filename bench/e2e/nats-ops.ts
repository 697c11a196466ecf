/**
 * What a hub process asks of NATS, counted by kind (slice nc17, docs/performance.md): every protocol message the
 * process sends (publishes by stream role, acks by kind and whether confirmed, pull requests, direct gets, other
 * API requests) and every message it receives (deliveries by stream, replies: publish acks, ack confirmations,
 * direct-get answers, consumer status). Installed in bench/e2e/hub-process.ts when BENCH_NATS_OPS names a file;
 * the counts are written there when the hub stops. Measurement only: it wraps nats-core's ProtocolHandler.
 *
 *   BENCH_NATS_OPS=ops.json node bench/e2e/pair.ts --messages=3000 && node bench/e2e/nats-ops.ts ops.json 3100
 */
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";

// The hub's own copy of nats-core, reached through the transport that loads it (bench has no dependency of its own).
const { ProtocolHandler } = createRequire(import.meta.resolve("@nats-io/transport-node"))(
  "@nats-io/nats-core/internal",
) as { ProtocolHandler: { prototype: object } };

type Counts = Record<string, number>;
const text = new TextDecoder();

/** `<ns>.<role>.…` → `publish <role>`; JetStream's own subjects by what they ask. */
function outbound(subject: string, reply: string, payload: Uint8Array): string {
  if (subject.startsWith("$JS.ACK.")) {
    const head = text.decode(payload.subarray(0, 5));
    const kind = head.startsWith("+ACK")
      ? "ack"
      : head.startsWith("-NAK")
        ? "nak"
        : head.startsWith("+WPI")
          ? "working"
          : "term";
    return `${kind}${reply === "" ? "" : " (confirmed)"} ${subject.split(".")[2] ?? ""}`;
  }
  if (subject.startsWith("$JS.API.CONSUMER.MSG.NEXT.")) return `pull request ${subject.split(".")[5] ?? ""}`;
  if (subject.startsWith("$JS.API.DIRECT.GET.")) return `direct get ${subject.split(".")[4] ?? ""}`;
  if (subject.startsWith("$JS.API.")) return `api ${subject.split(".").slice(2, 4).join(".")}`;
  if (subject.startsWith("$")) return "other $";
  const role = subject.split(".")[1] ?? subject;
  return `${reply === "" ? "core publish" : "publish"} ${role}`;
}

/** Installs the counters; returns a function that writes them. */
export function countNatsOps(file: string): () => void {
  const sent: Counts = {};
  const received: Counts = {};
  const proto = ProtocolHandler.prototype as unknown as {
    publish(subject: string, payload?: Uint8Array | string, options?: { reply?: string }): void;
    processMsg(msg: { subject: Uint8Array; reply?: Uint8Array; sid: number }, data: Uint8Array): void;
  };
  const publish = proto.publish;
  proto.publish = function (this: unknown, subject, payload, options) {
    const bytes = typeof payload === "string" ? new TextEncoder().encode(payload) : (payload ?? new Uint8Array(0));
    const key = outbound(subject, options?.reply ?? "", bytes);
    sent[key] = (sent[key] ?? 0) + 1;
    publish.call(this, subject, payload, options);
  };
  const processMsg = proto.processMsg;
  proto.processMsg = function (this: unknown, msg, data) {
    // The parser hands over subject and reply as bytes.
    const reply = msg.reply === undefined ? "" : text.decode(msg.reply);
    const subject = text.decode(msg.subject);
    const key = reply.startsWith("$JS.ACK.")
      ? `delivery ${reply.split(".")[2] ?? ""}`
      : subject.startsWith("_INBOX.")
        ? "reply or status to an inbox"
        : `core message ${subject.split(".")[1] ?? ""}`;
    received[key] = (received[key] ?? 0) + 1;
    processMsg.call(this, msg, data);
  };
  return () => writeFileSync(file, JSON.stringify({ sent, received }));
}

// As a script: print the counts per message.
if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, messages] = process.argv.slice(2);
  const { sent, received } = JSON.parse(readFileSync(file ?? "", "utf8")) as { sent: Counts; received: Counts };
  const n = Number(messages ?? 1);
  const show = (title: string, counts: Counts) => {
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    console.log(`${title}: ${(total / n).toFixed(2)} per message`);
    for (const [key, count] of Object.entries(counts).sort((a, b) => b[1] - a[1]))
      console.log(`  ${(count / n).toFixed(3)}  ${key}`);
  };
  show("sent by the hub", sent);
  show("received by the hub", received);
}
