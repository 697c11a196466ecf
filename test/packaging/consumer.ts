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
