import { describe, expect, it } from "vitest";
import { DEFAULT_INTAKE_OPTIONS, parseIntakeOptions } from "./intake-options.ts";

describe("parseIntakeOptions", () => {
  it("takes the concurrency from CAREHUB_INTAKE_CONCURRENCY, else the default", () => {
    expect(parseIntakeOptions({ CAREHUB_INTAKE_CONCURRENCY: "16" }).concurrency).toBe(16);
    expect(parseIntakeOptions({}).concurrency).toBe(DEFAULT_INTAKE_OPTIONS.concurrency);
  });

  it("refuses what is not a positive whole number", () => {
    expect(() => parseIntakeOptions({ CAREHUB_INTAKE_CONCURRENCY: "many" })).toThrow(
      expect.objectContaining({
        problems: ['CAREHUB_INTAKE_CONCURRENCY: must be a positive whole number, got "many"'],
      }),
    );
  });
});
