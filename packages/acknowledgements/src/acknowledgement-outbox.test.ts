import { describe, expect, it } from "vitest";
import { acknowledgementKeys } from "./acknowledgement-outbox.ts";

describe("stored acknowledgements", () => {
  it("are kept under the contract's keys", () => {
    const keys = acknowledgementKeys("ns");
    expect(keys.hubAcknowledgement("h-1")).toBe("ns:ack:h-1");
    expect(keys.relayedAcknowledgement("h-1")).toBe("ns:ackmsg:h-1");
  });
});
