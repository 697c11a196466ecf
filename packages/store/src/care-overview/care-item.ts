import type { BusinessEntity, CareItem, CareItemChange } from "@carehub/schemas";
import { type EntityState, entityParties, toBusinessEntity } from "../entity-state.ts";
import { statusAuthority } from "../status-authority.ts";

/** An item of the overview together with who is party to it (for the access rule of course-access.ts). */
export interface CareItemRecord {
  item: CareItem;
  /**
   * The endpoints with a part in this item: a referral's or task's originator and counterparts; an appointment's
   * originator (that of the referral or task it was booked for) and the endpoints whose statuses about it stood.
   */
  parties: readonly string[];
  /** When the item was first stated (epoch ms): the overview's order. */
  firstAt: number;
}

/**
 * A referral, task or appointment as the overview shows it, from its folded state. Refused statuses are left
 * out of its changes, and their senders get no part in it: a stranger's claim changes nothing anywhere.
 */
export function careItem(state: EntityState): CareItemRecord {
  const entity = toBusinessEntity(state);
  const stood = entity.history.filter((h) => h.outcome !== "refused");
  const changes: CareItemChange[] = stood.map((h) => ({
    status: h.status,
    at: h.occurredAt,
    statedBy: h.sources[0] ?? "",
    ...(h.appointment === undefined ? {} : { appointment: h.appointment }),
    ...(h.plannedWindow === undefined ? {} : { plannedWindow: h.plannedWindow }),
  }));
  const performers = state.type === "appointment" ? speakersOf(state, entity) : entity.counterparts;
  const current = [...stood].reverse().find((h) => h.status === entity.status);
  const when = entity.appointment ?? (entity.status === "planned" ? entity.plannedWindow : undefined);
  const item: CareItem = {
    type: state.type,
    id: state.id,
    originator: state.originator,
    status: entity.status,
    performers: [...performers],
    ...(when === undefined ? {} : { when }),
    ...(entity.plannedWindow === undefined ? {} : { plannedWindow: entity.plannedWindow }),
    ...(entity.since === undefined ? {} : { since: entity.since }),
    ...(current?.sources[0] === undefined ? {} : { statedBy: current.sources[0] }),
    ...(state.basedOn === undefined ? {} : { basedOn: { type: state.basedOn.type, id: state.basedOn.id } }),
    changes,
  };
  const parties = new Set([state.originator, ...performers]);
  const first = Date.parse(entity.history[0]?.occurredAt ?? "");
  return { item, parties: [...parties].sort(), firstAt: Number.isNaN(first) ? state.lastSeen : first };
}

/**
 * The endpoints that stated an appointment's statuses that stood, each authenticated as the sender by the hub and
 * allowed by the status-authority rule (a stranger repeating a party's fact does not become a party by it).
 */
function speakersOf(state: EntityState, entity: BusinessEntity): string[] {
  const stoodSources = new Set(entity.history.filter((h) => h.outcome !== "refused").flatMap((h) => h.sources));
  const parties = entityParties(state);
  const speakers = new Set<string>();
  for (const fact of state.facts) {
    if (!fact.sources.some((s) => stoodSources.has(s))) continue;
    for (const by of fact.by) if (statusAuthority(state.type, parties, by, fact.status).allowed) speakers.add(by);
  }
  return [...speakers].sort();
}

/** Items in the order they were first stated; ties by type and id, so every read gives the same order. */
export function inCareOrder(records: readonly CareItemRecord[]): CareItemRecord[] {
  return [...records].sort(
    (a, b) => a.firstAt - b.firstAt || a.item.type.localeCompare(b.item.type) || a.item.id.localeCompare(b.item.id),
  );
}
