import { describe, expect, it } from "vitest";
import { CONSOLE_ENV, DEFAULT_CONSOLE_OPTIONS, parseConsoleOptions } from "./console-settings.ts";

describe("parseConsoleOptions", () => {
  it("takes the defaults, a port (0 for a free one) and a session lifetime", () => {
    expect(parseConsoleOptions({})).toEqual(DEFAULT_CONSOLE_OPTIONS);
    expect(parseConsoleOptions({ [CONSOLE_ENV.port]: "0", [CONSOLE_ENV.sessionTtlSeconds]: "60" })).toEqual({
      port: 0,
      sessionTtlSeconds: 60,
    });
  });

  it("reports every bad value at once", () => {
    expect(() => parseConsoleOptions({ [CONSOLE_ENV.port]: "70000", [CONSOLE_ENV.sessionTtlSeconds]: "0" })).toThrow(
      expect.objectContaining({
        code: "CAREHUB_ERR_CONFIG_INVALID",
        problems: [expect.stringContaining(CONSOLE_ENV.port), expect.stringContaining(CONSOLE_ENV.sessionTtlSeconds)],
      }),
    );
  });
});
