import type { SubjectRef } from "../entity-state.ts";

/*
 * Members of the care-overview indexes (keys.ts: careByPatient, courseItems, careByParty): `<type>|<originator>|<id>`
 * for a referral or task, `course|<originator>|<id>` for a package course in a patient's index. Endpoint ids carry
 * neither ':' nor '|' (registry schema); the business id after them may carry anything.
 */

export type CareMember = { kind: "item"; subject: SubjectRef } | { kind: "course"; referral: SubjectRef };

export function itemMember(subject: SubjectRef): string {
  return `${subject.type}|${subject.originator}|${subject.id}`;
}

export function courseMember(referral: Pick<SubjectRef, "originator" | "id">): string {
  return `course|${referral.originator}|${referral.id}`;
}

export function parseCareMember(member: string): CareMember | undefined {
  const first = member.indexOf("|");
  const second = first === -1 ? -1 : member.indexOf("|", first + 1);
  if (second === -1) return undefined;
  const head = member.slice(0, first);
  const originator = member.slice(first + 1, second);
  const id = member.slice(second + 1);
  if (head === "course") return { kind: "course", referral: { type: "referral", originator, id } };
  if (head === "referral" || head === "task") return { kind: "item", subject: { type: head, originator, id } };
  return undefined;
}

/** A course's id in the API: `<originator>:<package referral id>` (endpoint ids carry no ':'). */
export function courseId(referral: Pick<SubjectRef, "originator" | "id">): string {
  return `${referral.originator}:${referral.id}`;
}

export function parseCourseId(id: string): SubjectRef | undefined {
  const colon = id.indexOf(":");
  if (colon <= 0 || colon === id.length - 1) return undefined;
  return { type: "referral", originator: id.slice(0, colon), id: id.slice(colon + 1) };
}
