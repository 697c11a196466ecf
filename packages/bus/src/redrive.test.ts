import { describe, expect, it } from "vitest";
import { redriveHeaders } from "./redrive.ts";

describe("redriveHeaders", () => {
  it("drops the DLQ reasons and NATS control headers, counts the redrive, and derives a fresh dedup id", () => {
    const result = redriveHeaders({
      subject: "ns.dlq.router",
      seq: 17,
      data: new Uint8Array(),
      time: new Date(),
      headers: {
        "Nats-Msg-Id": "ns_pipeline:4",
        "Content-Type": "application/json",
        "Carehub-Hub-Id": "h1",
        "Carehub-Error-Code": "CAREHUB_ERR_X",
        "Carehub-Error-Message": "boom",
        "Carehub-Stage": "router",
        "Carehub-Attempts": "3",
        "Carehub-Original-Subject": "ns.pipeline.lab-result",
        "Carehub-Original-Stream": "NS_PIPELINE",
        "Carehub-Original-Seq": "4",
        "Carehub-Original-Msg-Id": "h1",
        "Carehub-Redrive-Count": "1",
      },
    });
    expect(result.headers).toEqual({
      "Content-Type": "application/json",
      "Carehub-Hub-Id": "h1",
      "Carehub-Redrive-Count": "2",
    });
    expect(result.msgId).toBe("h1:redrive-2:17");
  });
});
