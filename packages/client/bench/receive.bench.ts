/**
 * The SDK's acknowledging receiver, CPU per message in the receiving process: a signed webhook delivery of each of
 * the e2e bench's messages (bench/e2e/messages.ts) answered by `createWebhookHandler(...).answer` — signature
 * checked, the MedCom message read, its acknowledgement built and handed to the client — with the client's send
 * a no-op (the send itself is send.bench.ts's), so only the receiving is counted. Arms alternated in one process
 * (in reverse order every other round), medians of the rounds after the first:
 *   before   @carehub/client of CLIENT_ROOT's checkout (default: this one)
 *   after    this checkout's
 * and, for each, the two parts alone: reading the message (parseDeliveredMessage) and building its acknowledgement
 * (buildMedcomAcknowledgement on the message read).
 * Usage: node packages/client/bench/receive.bench.ts        CLIENT_ROOT=<checkout> for before / after; BENCH_ROUNDS, 7
 */
import { fileURLToPath } from "node:url";
import { signWebhook, WebhookSecret } from "@carehub/webhook-signature";
import { messageAt } from "../../../bench/e2e/messages.ts";
import * as after from "../src/index.ts";

const root = process.env.CLIENT_ROOT ?? fileURLToPath(new URL("../../../", import.meta.url));
const before = (await import(`${root}/packages/client/src/index.ts`)) as typeof after;
const N = 2_000;
const rounds = Number(process.env.BENCH_ROUNDS ?? 7);
const secret = WebhookSecret.parse(`whsec_${Buffer.from("bench-webhook-secret-practice").toString("base64")}`);
let sent = 0;
const client = {
  send: async () => {
    sent++;
    return { id: "01JABCDEF0123456789ABCDEFG", status: "received" as const };
  },
} as unknown as after.CarehubClient;

type Sdk = typeof after;
const handlerOf = (sdk: Sdk) => sdk.createWebhookHandler({ client, signingSecrets: [secret] });

for (const type of ["fhir", "oioxml", "attach"] as const) {
  const deliveries = (tag: string) =>
    Array.from({ length: N }, (_, i) => {
      const m = messageAt(type, i, tag);
      const signed = signWebhook({
        id: m.id,
        timestampSeconds: Math.floor(Date.now() / 1000),
        body: m.body,
        secrets: [secret],
      });
      return { body: m.body, headers: { ...signed, "content-type": m.contentType, "carehub-message-id": m.id } };
    });
  const sample = deliveries("sample");
  const partsOf = (sdk: Sdk) => {
    const read = sample.map((d) => sdk.parseDeliveredMessage(d.body, d.headers["content-type"]));
    return {
      read: () => {
        for (const d of sample) sdk.parseDeliveredMessage(d.body, d.headers["content-type"]);
      },
      build: () => {
        for (const r of read) {
          if (!r.ok) throw new Error("a bench message did not parse");
          const m = r.message;
          sdk.buildMedcomAcknowledgement({
            original: { ...m, standard: m.standard, standardVersion: m.standardVersion, envelopeId: m.envelopeId },
            acknowledger: m.receivers[0] ?? m.sender,
            code: "ok",
            issues: [],
            ackMessageId: "0b8e1d2c-6a55-4c9e-9a3f-2f8a1c0e7d11",
            envelopeId: "00000000000001",
            sentAt: new Date(),
          });
        }
      },
    };
  };
  const arms: Record<string, (round: number) => Promise<void> | void> = {};
  for (const [name, sdk] of [
    ["before", before],
    ["after", after],
  ] as const) {
    const parts = partsOf(sdk);
    arms[`${name} read`] = parts.read;
    arms[`${name} build`] = parts.build;
    // A new handler and new message ids each round: every delivery is a first copy, as in the e2e bench.
    const fresh = Array.from({ length: rounds }, (_, round) => deliveries(`${name}-${round}`));
    arms[`${name} answer`] = async (round) => {
      const handler = handlerOf(sdk);
      for (const d of fresh[round] ?? []) {
        const answered = await handler.answer(d.body, d.headers);
        if (answered.status !== 200) throw new Error(`a bench delivery was answered ${answered.status}`);
      }
    };
  }
  const times = new Map<string, number[]>();
  const order = Object.entries(arms);
  for (let round = 0; round < rounds; round++)
    for (const [name, arm] of round % 2 === 0 ? order : [...order].reverse()) {
      const start = process.cpuUsage();
      await arm(round);
      const used = process.cpuUsage(start);
      times.set(name, [...(times.get(name) ?? []), (used.user + used.system) / N]);
    }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const cells = [...times].map(([name, xs]) => `${name} ${median(xs.slice(1)).toFixed(1)}`);
  console.log(`${type} (${sample[0]?.body.byteLength} B), µs per message: ${cells.join(", ")}`);
}
if (sent === 0) throw new Error("no acknowledgement was sent");
