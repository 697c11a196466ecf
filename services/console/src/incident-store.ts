import { randomUUID } from "node:crypto";
import { scrubText } from "@carehub/observability";
import { EndpointId, MessageKind } from "@carehub/schemas";
import type { Redis } from "ioredis";
import { z } from "zod";
import { consoleKeys } from "./console-keys.ts";
import { csvText } from "./csv.ts";

/** Who opened or closed an incident: an operator, or the hub itself (an endpoint's circuit opened or closed). */
const IncidentActor = z.object({ type: z.enum(["operator", "hub"]), id: z.string().min(1) });

/**
 * A disruption (driftsforstyrrelse): when it started and ended, which endpoints and kinds it touched, and notes.
 * Notes are free text from operators: CPR numbers in them are replaced by `[CPR]` before they are stored.
 */
export const Incident = z.object({
  id: z.string(),
  cause: z.enum(["manual", "circuit-open"]),
  openedAt: z.iso.datetime(),
  closedAt: z.iso.datetime().optional(),
  endpoints: z.array(EndpointId),
  kinds: z.array(MessageKind),
  note: z.string(),
  closingNote: z.string().optional(),
  openedBy: IncidentActor,
  closedBy: IncidentActor.optional(),
});
export type Incident = z.infer<typeof Incident>;
export type IncidentActor = z.infer<typeof IncidentActor>;

export const OpenIncidentBody = z.strictObject({
  endpoints: z.array(EndpointId).max(100).default([]),
  kinds: z.array(MessageKind).max(20).default([]),
  note: z.string().min(1).max(2_000),
});
export type OpenIncidentBody = z.infer<typeof OpenIncidentBody>;

export const CloseIncidentBody = z.strictObject({ note: z.string().max(2_000).optional() });

export interface IncidentStore {
  open(input: OpenIncidentBody, by: IncidentActor, cause?: Incident["cause"]): Promise<Incident>;
  /** The closed incident; undefined when there is no such incident; unchanged when it was closed already. */
  close(id: string, by: IncidentActor, note?: string): Promise<Incident | undefined>;
  get(id: string): Promise<Incident | undefined>;
  /** Newest first. */
  list(options?: { limit?: number; state?: "open" | "closed" }): Promise<Incident[]>;
  /** Opens the endpoint's circuit incident unless one is open already (any console copy may call it). */
  openForCircuit(endpoint: string): Promise<Incident | undefined>;
  /** Closes the endpoint's circuit incident, if one is open. */
  closeForCircuit(endpoint: string): Promise<Incident | undefined>;
}

/** Incidents in Redis: one hash of records and an index by start time (docs/contracts.md "Redis keys"). */
export function redisIncidentStore(
  redis: Redis,
  namespace: string,
  clock: () => Date = () => new Date(),
): IncidentStore {
  const keys = consoleKeys(namespace);
  const save = async (incident: Incident) => {
    await redis
      .multi()
      .hset(keys.incidents(), incident.id, JSON.stringify(incident))
      .zadd(keys.incidentsByStart(), Date.parse(incident.openedAt), incident.id)
      .exec();
  };
  const parse = (raw: string | null | undefined): Incident | undefined => {
    if (raw === null || raw === undefined) return undefined;
    const parsed = Incident.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  };
  const store: IncidentStore = {
    async open(input, by, cause = "manual") {
      const incident: Incident = {
        id: randomUUID(),
        cause,
        openedAt: clock().toISOString(),
        endpoints: [...new Set(input.endpoints)],
        kinds: [...new Set(input.kinds)],
        note: scrubText(input.note),
        openedBy: by,
      };
      await save(incident);
      return incident;
    },
    async close(id, by, note) {
      const current = await store.get(id);
      if (current === undefined || current.closedAt !== undefined) return current;
      const closed: Incident = {
        ...current,
        closedAt: clock().toISOString(),
        closedBy: by,
        ...(note === undefined || note === "" ? {} : { closingNote: scrubText(note) }),
      };
      await save(closed);
      return closed;
    },
    get: async (id) => parse(await redis.hget(keys.incidents(), id)),
    async list(options = {}) {
      const limit = Math.min(options.limit ?? 500, 5_000);
      const ids = await redis.zrevrange(keys.incidentsByStart(), 0, -1);
      if (ids.length === 0) return [];
      const found: Incident[] = [];
      for (const raw of await redis.hmget(keys.incidents(), ...ids)) {
        const incident = parse(raw);
        if (incident === undefined) continue;
        const open = incident.closedAt === undefined;
        if (options.state === "open" && !open) continue;
        if (options.state === "closed" && open) continue;
        found.push(incident);
        if (found.length >= limit) break;
      }
      return found;
    },
    async openForCircuit(endpoint) {
      const id = randomUUID();
      // Claimed first, so two console copies that see the same open circuit open one incident.
      const claimed = await redis.set(keys.circuitIncident(endpoint), id, "NX");
      if (claimed !== "OK") return undefined;
      const incident: Incident = {
        id,
        cause: "circuit-open",
        openedAt: clock().toISOString(),
        endpoints: [endpoint],
        kinds: [],
        note: `the circuit breaker for ${endpoint} opened: deliveries to it are failing`,
        openedBy: { type: "hub", id: "circuit-breaker" },
      };
      await save(incident);
      return incident;
    },
    async closeForCircuit(endpoint) {
      const id = await redis.getdel(keys.circuitIncident(endpoint));
      if (id === null) return undefined;
      return store.close(
        id,
        { type: "hub", id: "circuit-breaker" },
        `the circuit breaker for ${endpoint} closed again`,
      );
    },
  };
  return store;
}

const CSV_COLUMNS = [
  "id",
  "cause",
  "openedAt",
  "closedAt",
  "durationMinutes",
  "endpoints",
  "kinds",
  "openedBy",
  "closedBy",
  "note",
  "closingNote",
] as const;

/** The incidents as CSV (RFC 4180, comma-separated, CRLF), for the DAP steering group's review. Pure. */
export function incidentsCsv(incidents: readonly Incident[]): string {
  const rows = incidents.map((i) => {
    const minutes =
      i.closedAt === undefined ? "" : String(Math.round((Date.parse(i.closedAt) - Date.parse(i.openedAt)) / 60_000));
    const values: Record<(typeof CSV_COLUMNS)[number], string> = {
      id: i.id,
      cause: i.cause,
      openedAt: i.openedAt,
      closedAt: i.closedAt ?? "",
      durationMinutes: minutes,
      endpoints: i.endpoints.join(" "),
      kinds: i.kinds.join(" "),
      openedBy: `${i.openedBy.type}:${i.openedBy.id}`,
      closedBy: i.closedBy === undefined ? "" : `${i.closedBy.type}:${i.closedBy.id}`,
      note: i.note,
      closingNote: i.closingNote ?? "",
    };
    return CSV_COLUMNS.map((column) => values[column]);
  });
  return csvText(CSV_COLUMNS, rows);
}
