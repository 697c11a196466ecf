import { danishNumber, LAB_PANEL, measure } from "./clinical-content.ts";
import { makeLabReport } from "./message-factory.ts";
import type { PlanContext, PlannedDraft } from "./plan-context.ts";
import type { SimEndpoint, SimPatient } from "./world.ts";

/** One OIOXML lab report (XRPT01) of a sample at a stage: partial, final or corrected. */
function labReport(
  ctx: PlanContext,
  at: Date,
  from: SimEndpoint,
  to: SimEndpoint,
  p: SimPatient,
  sample: { id: string; taken: Date; consentGiven: boolean; analyses: typeof LAB_PANEL },
  stage: "partial" | "final" | "corrected",
) {
  const { random, oioxmlId } = ctx;
  const results = sample.analyses.map((analysis, index) => {
    const pending = stage === "partial" && index >= Math.ceil(sample.analyses.length / 2);
    return {
      analysisCode: analysis.code,
      shortName: analysis.shortName,
      status: pending
        ? ("proeve_modtaget" as const)
        : stage === "corrected" && index === 0
          ? ("svar_rettet" as const)
          : ("svar_endeligt" as const),
      ...(pending
        ? {}
        : { value: danishNumber(measure(random, analysis.range, analysis.decimals)), unit: analysis.unit }),
    };
  });
  return makeLabReport({
    ids: { envelopeId: oioxmlId(), letterId: oioxmlId() },
    now: at,
    ackRequested: random.chance(0.8),
    statusCode: stage === "corrected" ? "rettetbrev" : "nytbrev",
    sender: { gln: from.gln, sor: from.sor, name: from.name },
    receiver: {
      gln: to.gln,
      sor: to.sor,
      name: to.name,
      ...(to.ydernummer === undefined ? {} : { ydernummer: to.ydernummer }),
    },
    patient: { cpr: p.cpr, surname: p.family, givenName: p.given, consentGiven: sample.consentGiven },
    sample: { laboratorySampleId: sample.id, samplingTime: sample.taken },
    reportStatus: stage === "partial" ? "del_svar" : "komplet_svar",
    results,
  });
}

/**
 * A lab result for the patient's practice, from a laboratory (sometimes partial first, final later) or produced
 * by another practice; sometimes corrected later.
 */
export function planLabResult(ctx: PlanContext, now: Date, producedByPractice: boolean): PlannedDraft {
  const { random, world, behaviour: b, later, oioxmlId, patient, endpoint, planned } = ctx;
  const p = patient();
  const to = endpoint(p.gpId);
  const otherPractices = world.byRole.practice.filter((e) => e.id !== to.id);
  const from = producedByPractice
    ? otherPractices.length > 0
      ? random.pick(otherPractices)
      : to
    : world.byRole.laboratory.length > 0
      ? random.pick(world.byRole.laboratory)
      : to;
  const analyses = LAB_PANEL.filter(() => random.chance(0.5));
  const sample = {
    id: oioxmlId(),
    taken: new Date(now.getTime() - random.int(1, 48) * 3_600_000),
    consentGiven: !random.chance(b.labConsentWithheldProbability),
    analyses: analyses.length > 0 ? analyses : LAB_PANEL.slice(0, 2),
  };
  const source = producedByPractice ? "practice" : "lab";
  const consent = sample.consentGiven ? "" : "/consent-withheld";
  const partial = !producedByPractice && random.chance(b.labPartialProbability);
  const corrected = random.chance(b.labCorrectionProbability);
  if (partial) {
    later(2, 15, (at) =>
      planned(labReport(ctx, at, from, to, p, sample, "final"), `lab-result/${source}/final${consent}`, from, to),
    );
  }
  if (corrected) {
    later(partial ? 16 : 2, 40, (at) =>
      planned(
        labReport(ctx, at, from, to, p, sample, "corrected"),
        `lab-result/${source}/corrected${consent}`,
        from,
        to,
      ),
    );
  }
  const stage = partial ? "partial" : "final";
  return planned(labReport(ctx, now, from, to, p, sample, stage), `lab-result/${source}/${stage}${consent}`, from, to);
}
