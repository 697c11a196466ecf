import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.ts";

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join("") };
}

// Any CPR with or without dash; the assertion is on the raw output, after pino serialised everything.
const CPR_DIGITS = /0101901234|010190-1234|2101851234/;

describe("createLogger", () => {
  it("writes no CPR from strings, objects, arrays, Error messages and stacks, or child bindings", () => {
    const out = capture();
    const logger = createLogger({ name: "test", destination: out.stream });
    logger.info("message about 0101901234");
    logger.info("interpolated %s", "010190-1234");
    logger.info({ nested: { text: "cpr 2101851234", list: ["0101901234", { x: "010190-1234" }] } }, "object");
    logger.info({ patient: { name: "someone" }, cpr: "0101901234", patientId: "p-1" }, "keys");
    logger.error(new Error("failed for 0101901234"));
    logger.error({ err: new Error("wrapped 010190-1234") }, "with err");
    logger.child({ patientId: "0101901234", note: "2101851234" }).info("child");
    const text = out.text();
    const lines = text.trim().split("\n");
    expect(lines).toHaveLength(7);
    expect(text).not.toMatch(CPR_DIGITS);
    expect(text).toContain("[CPR]");
    expect(text).toContain("[REDACTED]");
    // Errors are still logged as errors (type, message and a stack), only scrubbed.
    const error = JSON.parse(lines[4] ?? "{}") as { err?: { type: string; message: string; stack: string } };
    expect(error.err?.type).toBe("Error");
    expect(error.err?.message).toBe("failed for [CPR]");
    expect(error.err?.stack).toContain("logger.test.ts");
    const wrapped = JSON.parse(lines[5] ?? "{}") as { err?: { message: string; stack: string } };
    expect(wrapped.err?.message).toBe("wrapped [CPR]");
  });

  it("honours the level", () => {
    const out = capture();
    const logger = createLogger({ name: "test", level: "warn", destination: out.stream });
    logger.info("hidden");
    logger.warn("shown");
    expect(out.text()).not.toContain("hidden");
    expect(out.text()).toContain("shown");
  });
});
