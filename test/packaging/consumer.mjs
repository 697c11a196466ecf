// A plain-JavaScript program as an integrator writes it, run from a scratch project that installed the packed
// @carehub/client and @carehub/testkit with npm: sends one MedCom message and reads its lifecycle back.
//   HUB_URL, HUB_TOKEN, MESSAGE_FILE, CONTENT_TYPE   (and NATS_URL / REDIS_URL for the testkit)
import { readFileSync } from "node:fs";
import { createClient, HubRequestError } from "@carehub/client";
import { sharedNatsUrl, testNamespace } from "@carehub/testkit";

const client = createClient({ baseUrl: process.env.HUB_URL, token: process.env.HUB_TOKEN });
const sent = await client.send(readFileSync(process.env.MESSAGE_FILE), { contentType: process.env.CONTENT_TYPE });

// The tracker folds the lifecycle into the read model a moment after the send: ask until it is there.
let lifecycle;
const deadline = Date.now() + 20_000;
while (lifecycle === undefined && Date.now() < deadline) {
  lifecycle = await client.getMessage(sent.id);
  if (lifecycle === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
}

console.log(
  JSON.stringify({
    sent,
    lifecycle,
    errorClass: typeof HubRequestError,
    testkit: { nats: sharedNatsUrl(), namespace: testNamespace("pkg") },
  }),
);
