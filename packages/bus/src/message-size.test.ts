import { describe, expect, it } from "vitest";
import {
  HUB_HEADER_HEADROOM_BYTES,
  inlineMessageLimit,
  largestAcceptedMessage,
  serverMaxPayload,
} from "./message-size.ts";

describe("the largest accepted message", () => {
  it("is the configured maximum: what a NATS message cannot hold goes by claim check", () => {
    expect(largestAcceptedMessage(1024 * 1024, 20 * 1024 * 1024)).toBe(20 * 1024 * 1024);
    expect(largestAcceptedMessage(8 * 1024 * 1024, 256 * 1024)).toBe(256 * 1024);
  });

  it("travels in the message itself up to what the server's max_payload leaves beside the hub's headers", () => {
    expect(inlineMessageLimit(1024 * 1024)).toBe(1024 * 1024 - HUB_HEADER_HEADROOM_BYTES);
  });

  it("refuses a server that leaves no room at all", () => {
    expect(() => largestAcceptedMessage(HUB_HEADER_HEADROOM_BYTES, 1024)).toThrow(/max_payload/);
    expect(() => inlineMessageLimit(HUB_HEADER_HEADROOM_BYTES)).toThrow(/max_payload/);
  });

  it("reads the server's max_payload from its INFO, with NATS' default when absent", () => {
    expect(serverMaxPayload({ info: { max_payload: 8_388_608 } as never })).toBe(8_388_608);
    expect(serverMaxPayload({ info: undefined })).toBe(1_048_576);
  });
});
