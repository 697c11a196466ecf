import type { Redis } from "ioredis";
import { decodeEntity } from "./entity-codec.ts";
import type { EntityState, SubjectRef } from "./entity-state.ts";
import { storeKeys } from "./keys.ts";
import { StoreUnavailableError } from "./store-errors.ts";

/** Reads referral / task / appointment records, nothing else: what the router needs to ask who has a part. */
export interface EntityReader {
  getEntityState(subject: SubjectRef): Promise<EntityState | undefined>;
}

/** A read-only view of the entities of one namespace (the router's; the tracker writes them). */
export function createEntityReader(redis: Redis, namespace: string): EntityReader {
  const keys = storeKeys(namespace);
  return {
    async getEntityState(subject) {
      let text: string | null;
      try {
        text = await redis.get(keys.entity(subject.type, subject.originator, subject.id));
      } catch (error) {
        throw new StoreUnavailableError("read entity", error);
      }
      return text === null ? undefined : decodeEntity(subject.type, subject.originator, subject.id, text);
    },
  };
}
