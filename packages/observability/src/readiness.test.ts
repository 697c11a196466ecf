import { describe, expect, it } from "vitest";
import { checkReadiness } from "./readiness.ts";

describe("checkReadiness", () => {
  it("is ready only when every probe answers in time; a throw or a hang is unavailable, named", async () => {
    expect(await checkReadiness({ nats: async () => 1, redis: async () => "PONG" })).toEqual({
      ready: true,
      body: { status: "ok", checks: { nats: "ok", redis: "ok" } },
    });
    const hung = new Promise<never>(() => {});
    const down = await checkReadiness(
      {
        nats: async () => 1,
        redis: () => hung,
        audit: async () => {
          throw new Error("refused");
        },
      },
      50,
    );
    expect(down).toEqual({
      ready: false,
      body: { status: "unavailable", checks: { nats: "ok", redis: "unavailable", audit: "unavailable" } },
    });
  });
});
