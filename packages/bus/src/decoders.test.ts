import { describe, expect, it } from "vitest";
import { hubJsonDecoder } from "./decoders.ts";
import { HEADER, SCHEMA_VERSION } from "./headers.ts";

const body = new TextEncoder().encode(JSON.stringify({ schemaVersion: 1, hubId: "h1" }));

/** A validator that counts its calls and refuses everything: what a zod `parse` does with an invalid body. */
function refusing() {
  const calls: unknown[] = [];
  const validate = (value: unknown): never => {
    calls.push(value);
    throw new Error("invalid envelope");
  };
  return { calls, validate };
}

describe("hubJsonDecoder", () => {
  // Catches a decoder that validates the hub's own current messages again on every hop (the cost removed).
  it("takes a message of the current schema version as it is, without validating it", () => {
    const { calls, validate } = refusing();
    const decode = hubJsonDecoder(validate);
    expect(decode(body, { [HEADER.schemaVersion]: SCHEMA_VERSION })).toEqual({ schemaVersion: 1, hubId: "h1" });
    expect(calls).toHaveLength(0);
  });

  // Catches a decoder that trusts every message, or looks only at whether the header is there.
  it.each([
    ["an older version", { [HEADER.schemaVersion]: "0" }],
    ["a newer version", { [HEADER.schemaVersion]: String(Number(SCHEMA_VERSION) + 1) }],
    ["no version header", {}],
    ["the version in another header's place", { "Carehub-Kind": SCHEMA_VERSION }],
  ])("validates a message with %s", (_what, headers) => {
    const { calls, validate } = refusing();
    expect(() => hubJsonDecoder(validate)(body, headers)).toThrow("invalid envelope");
    expect(calls).toEqual([{ schemaVersion: 1, hubId: "h1" }]);
  });
});
