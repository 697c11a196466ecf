import { describe, expect, it } from "vitest";
import { DEFAULT_DISPATCHER_OPTIONS, dispatcherStateTtlSeconds } from "./dispatcher.ts";
import { parseDispatcherOptions } from "./dispatcher-config.ts";

describe("parseDispatcherOptions", () => {
  it("takes positive whole numbers and keeps the defaults for the rest", () => {
    const options = parseDispatcherOptions(
      { CAREHUB_DISPATCH_CONCURRENCY: "4", CAREHUB_CIRCUIT_COOLDOWN_MS: "500", CAREHUB_CLAIM_CHECK_SWEEP_MS: "60000" },
      2,
    );
    expect(options.concurrency).toBe(4);
    expect(options.claimCheckSweepMs).toBe(60_000);
    expect(options.stateTtlSeconds).toBe(2 * 86_400);
    expect(options.circuit).toEqual({ ...DEFAULT_DISPATCHER_OPTIONS.circuit, cooldownMs: 500, probeLeaseMs: 1_000 });
  });

  it("reports every bad value at once", () => {
    expect(() =>
      parseDispatcherOptions({ CAREHUB_DISPATCH_CONCURRENCY: "-2", CAREHUB_DISPATCH_BACKOFF_MAX_MS: "soon" }, 1),
    ).toThrow(
      expect.objectContaining({
        problems: [
          'CAREHUB_DISPATCH_CONCURRENCY: must be a positive whole number, got "-2"',
          'CAREHUB_DISPATCH_BACKOFF_MAX_MS: must be a positive whole number, got "soon"',
        ],
      }),
    );
  });
});

describe("dispatcherStateTtlSeconds", () => {
  // The dispatcher and the hub's re-send write the same delivery markers: a re-send that took another lifetime
  // would leave markers expiring before (or long after) the dispatcher's own.
  it("takes the options' own figure, else the retention, else the default", () => {
    expect(dispatcherStateTtlSeconds({ stateTtlSeconds: 60 }, 30)).toBe(60);
    expect(dispatcherStateTtlSeconds({}, 2)).toBe(2 * 86_400);
    expect(dispatcherStateTtlSeconds(undefined, 2)).toBe(2 * 86_400);
    expect(dispatcherStateTtlSeconds(undefined, undefined)).toBe(DEFAULT_DISPATCHER_OPTIONS.stateTtlSeconds);
  });
});
