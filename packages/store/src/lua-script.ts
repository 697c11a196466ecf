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

  /**
   * The keys and arguments go to ioredis as the two arrays they are: it flattens a command's arguments one level
   * (`args.flat()`, documented), so the command holds the same list. Spread into the call (`...keys, ...args`),
   * a record write's few hundred arguments were copied twice more first — through the iterator protocol, into the
   * call, then into ioredis' rest parameter: with compareAndSetMany's own spreads, about 21 KiB of the hub's ~455 KiB
   * of garbage per message (docs/performance.md, "al21: less garbage per message").
   */
  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    const rest = [keys, args] as unknown as (string | number)[];
    try {
      return await redis.evalsha(this.sha, keys.length, ...rest);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.includes("NOSCRIPT")) throw error;
      return await redis.eval(this.source, keys.length, ...rest);
    }
  }
}
