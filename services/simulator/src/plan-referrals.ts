import { KOL_REASON, LOW_BACK_PAIN_REASON, REFERRAL_REASONS, TASK_CODES } from "./clinical-content.ts";
import { makeReferral, makeTaskRequisition, organization, patientInput } from "./message-factory.ts";
import type { PlanContext, PlannedDraft } from "./plan-context.ts";

/** A practice's referral, to a hospital or the patient's municipality; the receiver reports its status back. */
export function planReferral(
  ctx: PlanContext,
  now: Date,
  category: "hospital" | "municipal" | "package-kol" | "package-low-back-pain",
): PlannedDraft {
  const { random, world, fhirFormat, ids, patient, endpoint, planned } = ctx;
  const p = patient();
  const from = endpoint(p.gpId);
  const to =
    category === "municipal"
      ? endpoint(p.municipalityId)
      : random.pick(world.byRole.hospital.length > 0 ? world.byRole.hospital : [endpoint(p.municipalityId)]);
  const [reasonCode, description] =
    category === "package-kol"
      ? KOL_REASON
      : category === "package-low-back-pain"
        ? LOW_BACK_PAIN_REASON
        : random.pick(REFERRAL_REASONS);
  const referralId = random.uuid();
  const built = makeReferral(
    {
      ids: ids(),
      now: now.toISOString(),
      sender: organization(from),
      receiver: organization(to),
      patient: patientInput(p),
      referral: {
        id: referralId,
        category,
        priority: random.chance(0.15) ? "urgent" : "routine",
        reasonCode,
        description,
        authoredOn: now.toISOString(),
      },
    },
    fhirFormat(),
  );
  return planned(built, `referral/${category}`, from, to, {
    subject: { type: "referral", id: referralId, category },
  });
}

/** A practice's task for the municipality (or its acute team for an urgent visit). */
export function planTaskRequisition(ctx: PlanContext, now: Date): PlannedDraft {
  const { random, world, fhirFormat, ids, patient, endpoint, planned } = ctx;
  const p = patient();
  const from = endpoint(p.gpId);
  const acute = world.byRole["acute-team"].find((team) => team.municipalityId === p.municipalityId);
  const [code, description] = random.pick(TASK_CODES);
  const to = code === "akut-besoeg" && acute !== undefined ? acute : endpoint(p.municipalityId);
  const taskId = random.uuid();
  const due = new Date(now.getTime() + random.int(1, 14) * 86_400_000).toISOString().slice(0, 10);
  const built = makeTaskRequisition(
    {
      ids: ids(),
      now: now.toISOString(),
      sender: organization(from),
      receiver: organization(to),
      patient: patientInput(p),
      task: { id: taskId, code, description, dueDate: due },
    },
    fhirFormat(),
  );
  return planned(built, `task-requisition/${code}`, from, to, { subject: { type: "task", id: taskId } });
}
