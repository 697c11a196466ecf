import { createHash } from "node:crypto";
import type { Redis } from "ioredis";

/**
 * A Lua script of the read model, run by its SHA-1 (`EVALSHA`) and sent whole only when Redis does not know it
 * yet (`NOSCRIPT`: a restarted or newly promoted server). The one runner for the store's write and read scripts.
 */
export class Script {
  readonly source: string;
  readonly sha: string;
  constructor(source: string) {
    this.source = source;
    this.sha = createHash("sha1").update(source).digest("hex");
  }

  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.includes("NOSCRIPT")) throw error;
      return await redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}
