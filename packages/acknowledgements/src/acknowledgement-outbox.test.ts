import { describe, expect, it } from "vitest";
import { acknowledgementKeys, acknowledgementResend } from "./acknowledgement-outbox.ts";

describe("stored acknowledgements", () => {
  it("are kept under the contract's keys", () => {
    const keys = acknowledgementKeys("ns");
    expect(keys.hubAcknowledgement("h-1")).toBe("ns:ack:h-1");
    expect(keys.relayedAcknowledgement("h-1")).toBe("ns:ackmsg:h-1");
  });

  it("are sent again under a hub id of their own, keeping their message id and source", () => {
    const stored = { contentType: "application/xml", base64: "PGEvPg==", hubId: "first", messageId: "m-1" };
    expect(acknowledgementResend({ ...stored, sourceEndpoint: "lab" }, "again", "carehub")).toEqual({
      ...stored,
      hubId: "again",
      sourceEndpoint: "lab",
    });
  });

  it("fill in what an older record lacks: the resend's id as message id, the hub as source", () => {
    expect(acknowledgementResend({ contentType: "application/xml", base64: "" }, "again", "carehub")).toEqual({
      contentType: "application/xml",
      base64: "",
      hubId: "again",
      messageId: "again",
      sourceEndpoint: "carehub",
    });
  });
});
