import { describe, expect, it } from "vitest";
import { DEFAULT_ROUTER_OPTIONS, parseRouterOptions } from "./router-options.ts";

describe("parseRouterOptions", () => {
  it("takes the concurrency from CAREHUB_ROUTER_CONCURRENCY, else the default", () => {
    expect(parseRouterOptions({ CAREHUB_ROUTER_CONCURRENCY: "64" }).concurrency).toBe(64);
    expect(parseRouterOptions({}).concurrency).toBe(DEFAULT_ROUTER_OPTIONS.concurrency);
    expect(parseRouterOptions({ CAREHUB_ROUTER_CONCURRENCY: "" }).concurrency).toBe(DEFAULT_ROUTER_OPTIONS.concurrency);
  });

  it("refuses what is not a positive whole number", () => {
    expect(() => parseRouterOptions({ CAREHUB_ROUTER_CONCURRENCY: "0" })).toThrow(
      expect.objectContaining({ problems: ['CAREHUB_ROUTER_CONCURRENCY: must be a positive whole number, got "0"'] }),
    );
  });
});
