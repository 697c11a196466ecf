import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  BUS_ERROR_CODES,
  BusPayloadReferenceInvalidError,
  BusPayloadReferenceMissingError,
  BusPayloadReferenceUnavailableError,
  BusPayloadUnreadableError,
  isPayloadReferenceError,
} from "./errors.ts";

describe("bus error codes", () => {
  it("are each listed in the Bus section of docs/errors.md", () => {
    const catalogue = readFileSync(new URL("../../../docs/errors.md", import.meta.url), "utf8");
    const section = catalogue.slice(
      catalogue.indexOf("## Bus"),
      catalogue.indexOf("\n## ", catalogue.indexOf("## Bus") + 1),
    );
    for (const code of BUS_ERROR_CODES) expect(section, code).toContain(`\`${code}\``);
  });
});

describe("isPayloadReferenceError", () => {
  // A re-send batch skips a message whose payload reference fails and reports it (services/dispatcher resend.ts);
  // a reference error left out here would fail the whole batch, another error let in would hide a stream fault.
  it("is true for each payload-reference error and for nothing else", () => {
    expect(isPayloadReferenceError(new BusPayloadReferenceMissingError("INGRESS:1"))).toBe(true);
    expect(isPayloadReferenceError(new BusPayloadReferenceInvalidError("malformed"))).toBe(true);
    expect(isPayloadReferenceError(new BusPayloadReferenceUnavailableError("timeout"))).toBe(true);
    expect(isPayloadReferenceError(new BusPayloadUnreadableError("sealed"))).toBe(false);
    expect(isPayloadReferenceError(new Error("stream not found"))).toBe(false);
    expect(isPayloadReferenceError(undefined)).toBe(false);
  });
});
