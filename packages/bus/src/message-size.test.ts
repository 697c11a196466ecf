import { describe, expect, it } from "vitest";
import { HUB_HEADER_HEADROOM_BYTES, largestAcceptedMessage, serverMaxPayload } from "./message-size.ts";

describe("the largest accepted message", () => {
  it("is what the server's max_payload leaves beside the hub's headers, never more than configured", () => {
    expect(largestAcceptedMessage(1024 * 1024, 20 * 1024 * 1024)).toBe(1024 * 1024 - HUB_HEADER_HEADROOM_BYTES);
    expect(largestAcceptedMessage(8 * 1024 * 1024, 256 * 1024)).toBe(256 * 1024);
  });

  it("refuses a server that leaves no room at all", () => {
    expect(() => largestAcceptedMessage(HUB_HEADER_HEADROOM_BYTES, 1024)).toThrow(/max_payload/);
  });

  it("reads the server's max_payload from its INFO, with NATS' default when absent", () => {
    expect(serverMaxPayload({ info: { max_payload: 8_388_608 } as never })).toBe(8_388_608);
    expect(serverMaxPayload({ info: undefined })).toBe(1_048_576);
  });
});
