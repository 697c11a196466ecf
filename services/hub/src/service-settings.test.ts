import { parseHubConfig } from "@carehub/schemas";
import { describe, expect, it } from "vitest";
import { parseServiceSettings } from "./service-settings.ts";

const config = parseHubConfig({}, { namespace: "settings", httpPort: 0, registryPath: "unused", profile: "test" });

describe("parseServiceSettings", () => {
  it("gives intake and the router the concurrency the environment sets", () => {
    const settings = parseServiceSettings(
      { CAREHUB_INTAKE_CONCURRENCY: "12", CAREHUB_ROUTER_CONCURRENCY: "48" },
      config,
    );
    expect(settings.intake.concurrency).toBe(12);
    expect(settings.router.concurrency).toBe(48);
  });

  it("reports intake's, the router's and the dispatcher's bad values together", () => {
    expect(() =>
      parseServiceSettings(
        { CAREHUB_INTAKE_CONCURRENCY: "x", CAREHUB_ROUTER_CONCURRENCY: "-1", CAREHUB_DISPATCH_CONCURRENCY: "0" },
        config,
      ),
    ).toThrow(
      expect.objectContaining({
        problems: expect.arrayContaining([
          expect.stringContaining("CAREHUB_INTAKE_CONCURRENCY"),
          expect.stringContaining("CAREHUB_ROUTER_CONCURRENCY"),
          expect.stringContaining("CAREHUB_DISPATCH_CONCURRENCY"),
        ]),
      }),
    );
  });
});
