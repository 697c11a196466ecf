import { createHash, randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { z } from "zod";
import { consoleKeys } from "./console-keys.ts";

/**
 * A signed-in console user. The role is not kept here: it is read from the registry on every request, so an
 * operator removed or demoted in the registry loses the rights at once, whatever their session says.
 */
export const ConsoleSession = z.object({
  operatorId: z.string().min(1),
  /** Epoch ms. */
  createdAt: z.number().int(),
  expiresAt: z.number().int(),
});
export type ConsoleSession = z.infer<typeof ConsoleSession>;

export interface SessionStore {
  /** A new session for the operator; returns the cookie value (32 random bytes, base64url). */
  create(operatorId: string): Promise<{ id: string; session: ConsoleSession }>;
  /** The live session a cookie value names, or undefined (unknown, expired or malformed). */
  find(id: string): Promise<ConsoleSession | undefined>;
  destroy(id: string): Promise<void>;
}

const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/** Sessions in Redis with a TTL: they expire there, so every console copy sees the same sign-ins and sign-outs. */
export function redisSessionStore(
  redis: Redis,
  options: { namespace: string; ttlSeconds: number; clock?: () => number },
): SessionStore {
  const keys = consoleKeys(options.namespace);
  const clock = options.clock ?? Date.now;
  const keyOf = (id: string) => keys.session(createHash("sha256").update(id).digest("hex"));
  return {
    async create(operatorId) {
      const id = randomBytes(32).toString("base64url");
      const createdAt = clock();
      const session: ConsoleSession = { operatorId, createdAt, expiresAt: createdAt + options.ttlSeconds * 1000 };
      await redis.set(keyOf(id), JSON.stringify(session), "EX", options.ttlSeconds);
      return { id, session };
    },
    async find(id) {
      if (!SESSION_ID.test(id)) return undefined;
      const raw = await redis.get(keyOf(id));
      if (raw === null) return undefined;
      const parsed = ConsoleSession.safeParse(safeJson(raw));
      if (!parsed.success || parsed.data.expiresAt <= clock()) return undefined;
      return parsed.data;
    },
    async destroy(id) {
      if (SESSION_ID.test(id)) await redis.del(keyOf(id));
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
