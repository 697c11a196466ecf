import { describe, expect, it } from "vitest";
import { DEFAULT_TRACKER_OPTIONS, parseTrackerOptions } from "./tracker-options.ts";

describe("parseTrackerOptions", () => {
  it("takes positive whole numbers and the stale limits in days", () => {
    const options = parseTrackerOptions({
      CAREHUB_TRACKER_TIMER_POLL_MS: "250",
      CAREHUB_TRACKER_CONCURRENCY: "",
      CAREHUB_TRACKER_STATUS_CONCURRENCY: "8",
      CAREHUB_TRACKER_STALE_DAYS: '{"task":{"requested":2}}',
    });
    expect(options.timerPollMs).toBe(250);
    expect(options.concurrency).toBe(DEFAULT_TRACKER_OPTIONS.concurrency);
    expect(options.statusConcurrency).toBe(8);
    expect(DEFAULT_TRACKER_OPTIONS.statusConcurrency).toBe(64);
    expect(options.staleLimits).toEqual({ task: { requested: 2 * 86_400_000 } });
  });

  it("reports every bad value at once", () => {
    expect(() =>
      parseTrackerOptions({
        CAREHUB_TRACKER_TIMER_POLL_MS: "0",
        CAREHUB_TRACKER_CONCURRENCY: "1.5",
        CAREHUB_TRACKER_STALE_DAYS: '{"task":{"requested":-1}}',
      }),
    ).toThrow(
      expect.objectContaining({
        code: "CAREHUB_ERR_CONFIG_INVALID",
        problems: [
          'CAREHUB_TRACKER_TIMER_POLL_MS: must be a positive whole number, got "0"',
          'CAREHUB_TRACKER_CONCURRENCY: must be a positive whole number, got "1.5"',
          expect.stringMatching(/^CAREHUB_TRACKER_STALE_DAYS: /),
        ],
      }),
    );
  });
});
