import { describe, expect, it } from "vitest";
import { type DeadLetterLine, describeDeadLetters } from "./dead-letters.ts";

const line = (seq: number, stage: string, code: string): DeadLetterLine => ({
  seq,
  stage,
  code,
  attempts: "30",
  original: `PIPELINE:${100 + seq}`,
  hubId: `hub-${seq}`,
  error: "waiting for the messages before it on PIPELINE to be routed first",
});

describe("describeDeadLetters", () => {
  it("counts the dead letters by stage and reason code, then names each with its original", () => {
    const text = describeDeadLetters([
      line(1, "router", "CAREHUB_ERR_ROUTE_WAITING_FOR_ORIGINAL"),
      line(2, "router", "CAREHUB_ERR_ROUTE_WAITING_FOR_ORIGINAL"),
      line(3, "dispatcher", "CAREHUB_ERR_DELIVERY_ATTEMPTS_EXHAUSTED"),
    ]);
    expect(text.split("\n")[0]).toBe(
      "dead letters (3): 2× router CAREHUB_ERR_ROUTE_WAITING_FOR_ORIGINAL, 1× dispatcher CAREHUB_ERR_DELIVERY_ATTEMPTS_EXHAUSTED",
    );
    expect(text).toContain(
      "dlq#3 dispatcher CAREHUB_ERR_DELIVERY_ATTEMPTS_EXHAUSTED attempts=30 from PIPELINE:103 hub-3",
    );
  });

  it("says none when nothing was dead-lettered, and cuts a long list", () => {
    expect(describeDeadLetters([])).toBe("dead letters: none");
    const many = Array.from({ length: 5 }, (_, i) => line(i + 1, "router", "X"));
    const text = describeDeadLetters(many, 2);
    expect(text.split("\n")).toHaveLength(4);
    expect(text).toContain("… 3 more");
  });
});
