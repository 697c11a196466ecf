// A TypeScript consumer of the packed packages (moduleResolution nodenext, strict): must type-check with no error.
import {
  type CarehubClient,
  createClient,
  createMemorySeenStore,
  isRetryable,
  type SendResult,
  verifyWebhookSignature,
} from "@carehub/client";
import { type NatsServerHandle, startNatsServer, testNamespace } from "@carehub/testkit";
import {
  type Delivery,
  type ReadModelSnapshot,
  startTestHub,
  type TestHub,
  TestHubAssertionError,
  type TestHubOptions,
} from "@carehub/testkit-hub";

export async function sendOne(client: CarehubClient, body: string): Promise<SendResult> {
  return client.send(body, { contentType: "application/fhir+json" });
}

export async function example(): Promise<string> {
  const client: CarehubClient = createClient({ baseUrl: "http://127.0.0.1:8080", token: "t" });
  const result = await sendOne(client, "{}");
  const lifecycle = await client.getMessage(result.id);
  const status: string | undefined = lifecycle?.status;
  const seen = createMemorySeenStore();
  const nats: NatsServerHandle = await startNatsServer();
  await nats.stop();
  void verifyWebhookSignature;
  void seen;
  return `${status ?? "unknown"} ${String(isRetryable(new Error("x")))} ${testNamespace("ts")}`;
}

// @carehub/testkit-hub: its hand-written declarations as a test writes against them.
export async function testHubExample(observation: Uint8Array): Promise<ReadModelSnapshot> {
  const options: TestHubOptions = {
    endpoints: [
      {
        id: "practice",
        name: "Practice",
        kind: "practice",
        identifiers: { sor: ["52581000016005"] },
        sends: ["acknowledgement"],
        accepts: ["homecare-observation"],
      },
    ],
    servers: "private",
  };
  const hub: TestHub = await startTestHub(options);
  try {
    const sent = await hub.send("practice", observation, "application/fhir+json");
    await hub.waitUntilQuiet(10_000);
    await hub.expectDeliveredTo(sent.hubId ?? "", "practice");
    const lifecycle = await hub.message(sent.hubId ?? "");
    const deliveries: Delivery[] = hub.receiver("practice").deliveries;
    void lifecycle?.perReceiver[0]?.status;
    void deliveries[0]?.body.byteLength;
    void (new Error("x") instanceof TestHubAssertionError);
    return await hub.snapshotReadModel();
  } finally {
    await hub.close();
  }
}
