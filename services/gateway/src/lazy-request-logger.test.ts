import Fastify, { type FastifyBaseLogger } from "fastify";
import { describe, expect, it } from "vitest";
import { countingLogger } from "../test/request-children.ts";
import { lazyChildLogger } from "./lazy-request-logger.ts";

describe("lazyChildLogger", () => {
  it("makes the request's child only when the request logs, bound to its id and scrubbed like any child", async () => {
    const { logger, lines, requestChildren } = countingLogger("lazy-test");
    const app = Fastify({ loggerInstance: logger as FastifyBaseLogger, disableRequestLogging: true });
    app.get("/quiet", { childLoggerFactory: lazyChildLogger }, async () => "ok");
    app.get("/loud", { childLoggerFactory: lazyChildLogger }, async (request) => {
      request.log.warn({ note: "cpr 0101855001" }, "twice");
      request.log.child({ step: 1 }).info("grandchild");
      return "ok";
    });
    try {
      expect((await app.inject({ method: "GET", url: "/quiet" })).statusCode).toBe(200);
      expect(requestChildren()).toBe(0);
      const loud = await app.inject({ method: "GET", url: "/loud" });
      expect(loud.statusCode).toBe(200);
      expect(requestChildren()).toBe(1);
      const [warned, nested] = lines.map((line) => JSON.parse(line));
      expect(warned).toMatchObject({ reqId: expect.any(String), note: "cpr [CPR]", msg: "twice", level: 40 });
      expect(nested).toMatchObject({ reqId: warned.reqId, step: 1, msg: "grandchild" });
      expect(lines.join("")).not.toContain("0101855001");
    } finally {
      await app.close();
    }
  });
});
