import type { BusinessStatus } from "@carehub/schemas";
import type { StatusFact } from "./entity-fold.ts";
import type { EntityState, PendingEffect } from "./entity-state.ts";
import type { SubjectType } from "./state-machines.ts";

/*
 * The stored form of a referral / task / appointment: one JSON string under short field names. Facts are
 * tuples [occurredAt ms, status, sources, knownBy, appointment | null, appointmentSource | null, by]. The entity's
 * originator is part of its key, not of the value.
 */

type PackedFact = [
  number,
  BusinessStatus,
  string[],
  string[],
  ({ start: string; end?: string } | null)?,
  (string | null)?,
  string[]?,
];

export function encodeEntity(state: EntityState): string {
  const p: Record<string, unknown> = { ls: state.lastSeen };
  if (state.matched) p.m = 1;
  if (state.originatorParty !== undefined) p.op = state.originatorParty;
  if (state.counterparts.length > 0) p.c = state.counterparts;
  if (state.forwards !== undefined && state.forwards.length > 0) p.fw = state.forwards.map((f) => [f.by, f.to]);
  if (state.basedOn !== undefined) p.b = [state.basedOn.type, state.basedOn.id];
  if (state.appointments.length > 0) p.ap = state.appointments;
  p.f = state.facts.map(packFact);
  if (state.staleMarks.length > 0) p.sm = state.staleMarks;
  if (state.returned.length > 0) p.rt = state.returned;
  if (state.pending.length > 0) p.px = state.pending;
  return JSON.stringify(p);
}

export function decodeEntity(type: SubjectType, originator: string, id: string, text: string): EntityState {
  const p = JSON.parse(text) as Record<string, unknown>;
  const state: EntityState = {
    type,
    originator,
    id,
    matched: p.m === 1,
    counterparts: (p.c as string[] | undefined) ?? [],
    appointments: (p.ap as string[] | undefined) ?? [],
    facts: ((p.f as PackedFact[] | undefined) ?? []).map(unpackFact),
    staleMarks: (p.sm as string[] | undefined) ?? [],
    returned: (p.rt as string[] | undefined) ?? [],
    pending: (p.px as PendingEffect[] | undefined) ?? [],
    lastSeen: p.ls as number,
  };
  if (p.op !== undefined) state.originatorParty = p.op as NonNullable<EntityState["originatorParty"]>;
  // The referral or task an appointment was booked for has the appointment's originator.
  if (Array.isArray(p.fw)) state.forwards = (p.fw as [string, string[]][]).map(([by, to]) => ({ by, to }));
  if (Array.isArray(p.b)) state.basedOn = { type: p.b[0], originator, id: p.b[1] };
  return state;
}

function packFact(f: StatusFact): PackedFact {
  return [f.occurredAt, f.status, f.sources, f.knownBy, f.appointment ?? null, f.appointmentSource ?? null, f.by];
}

function unpackFact(p: PackedFact): StatusFact {
  // Facts stored before speakers were recorded have none: `carehub rebuild` restores them from the streams.
  const fact: StatusFact = { occurredAt: p[0], status: p[1], sources: p[2], knownBy: p[3], by: p[6] ?? [] };
  if (p[4] !== undefined && p[4] !== null) fact.appointment = p[4];
  if (p[5] !== undefined && p[5] !== null) fact.appointmentSource = p[5];
  return fact;
}
