import type { Redis } from "ioredis";
import { decodeEntity } from "./entity-codec.ts";
import type { EntityState, SubjectRef } from "./entity-state.ts";
import { storeKeys } from "./keys.ts";
import type { SubjectType } from "./state-machines.ts";
import { StoreUnavailableError } from "./store-errors.ts";

/** Reads referral / task / appointment records, nothing else: what the router needs to ask who has a part. */
export interface EntityReader {
  getEntityState(subject: SubjectRef): Promise<EntityState | undefined>;
  /** The originators that have an entity of this type under this id. */
  originatorsOf(type: SubjectType, id: string): Promise<string[]>;
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
    async originatorsOf(type, id) {
      try {
        return await redis.zrange(keys.entityOriginators(type, id), 0, -1);
      } catch (error) {
        throw new StoreUnavailableError("read entity index", error);
      }
    },
  };
}
