import { afterEach, describe, expect, it } from "vitest";
import { TestReceiver } from "./test-receiver.ts";

let receiver: TestReceiver | undefined;

afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

async function deliver(to: TestReceiver, body: string): Promise<number> {
  const response = await fetch(to.url, { method: "POST", body, headers: { "carehub-message-id": "m-1" } });
  return response.status;
}

describe("TestReceiver", () => {
  it("keeps every delivery by default", async () => {
    receiver = await TestReceiver.start();
    expect(await deliver(receiver, "one")).toBe(200);
    expect(receiver.received).toBe(1);
    expect(receiver.deliveries.map((d) => d.body.toString())).toEqual(["one"]);
  });

  it("answers and counts without keeping when told not to keep (a bench's million deliveries)", async () => {
    receiver = await TestReceiver.start({ keep: false });
    expect(await deliver(receiver, "one")).toBe(200);
    expect(await deliver(receiver, "two")).toBe(200);
    // Catches a receiver that keeps each body regardless (bench:replay held ~8 KB a delivered message).
    expect(receiver.deliveries).toEqual([]);
    // Catches a receiver that stops counting (or answering) what it does not keep.
    expect(receiver.received).toBe(2);
  });
});
