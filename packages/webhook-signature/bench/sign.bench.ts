/**
 * Cost of signing one webhook delivery, in one run: signWebhook (the key imported once, as a KeyObject)
 * against the same HMAC with the key given as bytes on every call (what signing did before); and what a receiver
 * pays to verify it (verifyWebhookSignature, as @carehub/client's webhook handler calls it: secrets given once).
 * Usage: node packages/webhook-signature/bench/sign.bench.ts
 */
import { createHmac } from "node:crypto";
import { signWebhook, toWebhookSecrets, verifyWebhookSignature, WebhookSecret } from "../src/index.ts";

const secret = WebhookSecret.parse(`whsec_${Buffer.from("bench-webhook-secret-practice").toString("base64")}`);
const id = "01JABCDEF0123456789ABCDEFG";
const ROUNDS = 20_000;

function cpuMicrosPerCall(sign: () => unknown): number {
  const before = process.cpuUsage();
  for (let i = 0; i < ROUNDS; i++) sign();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / ROUNDS;
}

for (const size of [2_700, 8_000, 21_000]) {
  const body = new Uint8Array(size).fill(65);
  const timestampSeconds = Math.floor(Date.now() / 1000);
  const bytesKey = () =>
    `v1,${createHmac("sha256", secret.key()).update(`${id}.${timestampSeconds}.`, "utf8").update(body).digest("base64")}`;
  const signed = () => signWebhook({ id, timestampSeconds, body, secrets: [secret] });
  // Alternate, and keep the better of two rounds each: the machine is shared.
  const before = Math.min(cpuMicrosPerCall(bytesKey), cpuMicrosPerCall(bytesKey));
  const after = Math.min(cpuMicrosPerCall(signed), cpuMicrosPerCall(signed));
  const headers = signed();
  const secrets = toWebhookSecrets([secret]);
  const verified = () => verifyWebhookSignature({ body, headers, secrets });
  const verify = Math.min(cpuMicrosPerCall(verified), cpuMicrosPerCall(verified));
  console.log(
    `${size} B body: key as bytes ${before.toFixed(1)} µs, signWebhook ${after.toFixed(1)} µs, ` +
      `verifyWebhookSignature ${verify.toFixed(1)} µs per delivery`,
  );
}
