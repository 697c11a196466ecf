import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { generateWebhookSecret } from "./webhook-secret.ts";
import { signWebhook, verifyWebhookSignature } from "./webhook-signature.ts";

// The reference implementation of the spec (npm `standardwebhooks`, by Svix): receivers that use it must accept
// what the hub signs, and what it signs must pass ours. It reads the clock itself, so these use the real time.
describe("interoperability with the standardwebhooks reference library", () => {
  const secret = generateWebhookSecret();
  const bundle = '{"resourceType":"Bundle","id":"ærø-1","type":"message"}';

  it("verifies the hub's signature (the library parses the JSON body it verified)", () => {
    const headers = signWebhook({
      id: "0190f3a2-7c1e-7000-8000-0000000000aa",
      timestampSeconds: Math.floor(Date.now() / 1000),
      body: Buffer.from(bundle, "utf8"),
      secrets: [secret],
    });
    expect(new Webhook(secret).verify(bundle, { ...headers })).toEqual(JSON.parse(bundle));
  });

  it("verifies the hub's signature during a rotation, whichever secret the receiver holds", () => {
    const next = generateWebhookSecret();
    const headers = signWebhook({
      id: "0190f3a2-7c1e-7000-8000-0000000000ab",
      timestampSeconds: Math.floor(Date.now() / 1000),
      body: Buffer.from(bundle, "utf8"),
      secrets: [secret, next],
    });
    expect(new Webhook(secret).verify(bundle, { ...headers })).toEqual(JSON.parse(bundle));
    expect(new Webhook(next).verify(bundle, { ...headers })).toEqual(JSON.parse(bundle));
    expect(() => new Webhook(generateWebhookSecret()).verify(bundle, { ...headers })).toThrow("No matching signature");
  });

  it("produces the same signature as the library, and accepts the library's signature", () => {
    const at = new Date(Math.floor(Date.now() / 1000) * 1000);
    const theirs = new Webhook(secret).sign("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", at, bundle);
    const ours = signWebhook({
      id: "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
      timestampSeconds: at.getTime() / 1000,
      body: Buffer.from(bundle, "utf8"),
      secrets: [secret],
    });
    expect(ours["webhook-signature"]).toBe(theirs);
    const verified = verifyWebhookSignature({
      body: Buffer.from(bundle, "utf8"),
      headers: {
        "webhook-id": "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
        "webhook-timestamp": String(at.getTime() / 1000),
        "webhook-signature": theirs,
      },
      secrets: secret,
    });
    expect(verified.id).toBe("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W");
  });
});
