import type { FhirResource } from "@carehub/medcom-fhir";
import { HOMECARE_PANEL, measure, NURSES } from "./clinical-content.ts";
import { makeHomeCareObservation, organization, patientInput, provenanceOf } from "./message-factory.ts";
import type { PlanContext, PlannedDraft } from "./plan-context.ts";

/** An acute team's home-care measurements for the patient's practice; sometimes corrected or retracted later. */
export function planHomecareObservation(ctx: PlanContext, now: Date): PlannedDraft {
  const { random, world, behaviour: b, later, fhirFormat, ids, patient, endpoint, planned } = ctx;
  const p = patient();
  const teams = world.byRole["acute-team"];
  const from =
    teams.find((t) => t.municipalityId === p.municipalityId) ??
    (teams.length > 0 ? random.pick(teams) : endpoint(p.municipalityId));
  const to = endpoint(p.gpId);
  const consentGiven = !random.chance(b.homecareConsentWithheldProbability);
  const panel = HOMECARE_PANEL.filter(() => random.chance(0.5));
  const chosen = panel.length > 0 ? panel : [HOMECARE_PANEL[0] ?? HOMECARE_PANEL[1]].filter((x) => x !== undefined);
  const performer = random.pick(NURSES);
  const format = fhirFormat();
  const observations = (at: Date) =>
    chosen.map((item) => ({
      system: item.system,
      code: item.code,
      display: item.display,
      effective: new Date(at.getTime() - 15 * 60_000).toISOString(),
      value: {
        quantity: {
          value: measure(random, item.range, item.decimals),
          unit: item.unit ?? "",
          ...(item.ucum === undefined ? {} : { code: item.ucum }),
        },
      },
    }));
  const send = (at: Date, link?: { type: "modified" | "retract"; to: string; history: FhirResource[] }) =>
    makeHomeCareObservation(
      {
        ids: ids(),
        now: at.toISOString(),
        sender: organization(from),
        receiver: { ...organization(to) },
        patient: patientInput(p),
        issued: at.toISOString(),
        conclusion: link?.type === "retract" ? "Tilbagekaldt: sendt på forkert borger." : "Målinger ved akut besøg.",
        consentGiven,
        observations: observations(at),
        performer,
        ...(link === undefined ? {} : { link: { type: link.type, to: { messageId: link.to } }, history: link.history }),
      },
      format,
    );
  const first = send(now);
  const follow = random.next();
  if (follow < b.homecareCorrectionProbability) {
    later(3, 40, (at) =>
      planned(
        send(at, { type: "modified", to: first.messageId, history: provenanceOf(first.bundle) }),
        "homecare-observation/correction",
        from,
        to,
      ),
    );
  } else if (follow < b.homecareCorrectionProbability + b.homecareRetractionProbability) {
    later(3, 40, (at) =>
      planned(
        send(at, { type: "retract", to: first.messageId, history: provenanceOf(first.bundle) }),
        "homecare-observation/retraction",
        from,
        to,
      ),
    );
  }
  return planned(first, consentGiven ? "homecare-observation/new" : "homecare-observation/consent-withheld", from, to);
}
