import type { BusinessStatus } from "@carehub/schemas";
import type { StatusFact } from "./entity-fold.ts";
import type { EntityState, PendingEffect } from "./entity-state.ts";
import type { SubjectType } from "./state-machines.ts";

/*
 * The stored form of a referral / task / appointment: one JSON string under short field names. Facts are
 * tuples [occurredAt ms, status, sources, knownBy, appointment?, appointmentSource?].
 */

type PackedFact = [number, BusinessStatus, string[], string[], ({ start: string; end?: string } | null)?, string?];

export function encodeEntity(state: EntityState): string {
  const p: Record<string, unknown> = { ls: state.lastSeen };
  if (state.originator !== undefined) p.o = state.originator;
  if (state.originatorParty !== undefined) p.op = state.originatorParty;
  if (state.counterparts.length > 0) p.c = state.counterparts;
  if (state.basedOn !== undefined) p.b = [state.basedOn.type, state.basedOn.id];
  if (state.appointments.length > 0) p.ap = state.appointments;
  p.f = state.facts.map(packFact);
  if (state.staleMarks.length > 0) p.sm = state.staleMarks;
  if (state.returned.length > 0) p.rt = state.returned;
  if (state.pending.length > 0) p.px = state.pending;
  return JSON.stringify(p);
}

export function decodeEntity(type: SubjectType, id: string, text: string): EntityState {
  const p = JSON.parse(text) as Record<string, unknown>;
  const state: EntityState = {
    type,
    id,
    counterparts: (p.c as string[] | undefined) ?? [],
    appointments: (p.ap as string[] | undefined) ?? [],
    facts: ((p.f as PackedFact[] | undefined) ?? []).map(unpackFact),
    staleMarks: (p.sm as string[] | undefined) ?? [],
    returned: (p.rt as string[] | undefined) ?? [],
    pending: (p.px as PendingEffect[] | undefined) ?? [],
    lastSeen: p.ls as number,
  };
  if (typeof p.o === "string") state.originator = p.o;
  if (p.op !== undefined) state.originatorParty = p.op as NonNullable<EntityState["originatorParty"]>;
  if (Array.isArray(p.b)) state.basedOn = { type: p.b[0], id: p.b[1] };
  return state;
}

function packFact(f: StatusFact): PackedFact {
  const packed: PackedFact = [f.occurredAt, f.status, f.sources, f.knownBy];
  if (f.appointment !== undefined) packed.push(f.appointment, f.appointmentSource);
  return packed;
}

function unpackFact(p: PackedFact): StatusFact {
  const fact: StatusFact = { occurredAt: p[0], status: p[1], sources: p[2], knownBy: p[3] };
  if (p[4] !== undefined && p[4] !== null) fact.appointment = p[4];
  if (p[5] !== undefined) fact.appointmentSource = p[5];
  return fact;
}
