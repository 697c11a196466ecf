import type { FhirResource } from "@carehub/medcom-fhir";
import type { MessageKind } from "@carehub/schemas";
import {
  CARE_COMMUNICATION_CATEGORIES,
  careText,
  DOCTORS,
  danishNumber,
  HOMECARE_PANEL,
  KOL_REASON,
  LAB_PANEL,
  LOW_BACK_PAIN_REASON,
  measure,
  NURSES,
  REFERRAL_REASONS,
  TASK_CODES,
} from "./clinical-content.ts";
import { corruptMessage, duplicateOf } from "./faults.ts";
import {
  type BuiltSimMessage,
  type FhirWireFormat,
  makeCareCommunication,
  makeHomeCareObservation,
  makeHospitalNotification,
  makeLabReport,
  makeNotification,
  makeReferral,
  makeTaskRequisition,
  organization,
  patientInput,
  provenanceOf,
} from "./message-factory.ts";
import { createRandom, type Random } from "./random.ts";
import type { ActionMix, Scenario } from "./scenario.ts";
import type { SimEndpoint, SimPatient, SimWorld } from "./world.ts";

/** One message the simulation will send on its own initiative, at a planned time. */
export interface PlannedMessage {
  seq: number;
  /** Milliseconds after the start of the simulation. */
  atMs: number;
  kind: MessageKind;
  /** Its part in the story: `referral/hospital`, `lab-result/partial`, `homecare-observation/correction`, … */
  variant: string;
  /** Registry ids of the sending and the addressed endpoint. */
  from: string;
  to: string;
  messageId: string;
  envelopeId: string;
  contentType: string;
  body: string | Uint8Array;
  /** The referral or task this message starts, whose status the receiver will report back. */
  subject?: { type: "referral" | "task"; id: string; category?: string };
  /** Deliberately broken or repeated (misbehaving sender). */
  fault?: "invalid" | "duplicate";
}

export interface PlannerOptions {
  seed: number | string;
  /** Offered messages per second. */
  rate: number;
  scenario: Scenario;
  world: SimWorld;
  /** The simulation's start (epoch ms): planned message times are `start + atMs`. */
  startTime: number;
}

export interface Planner {
  next(): PlannedMessage;
}

interface FollowUp {
  dueSeq: number;
  order: number;
  produce: (now: Date) => Omit<PlannedMessage, "seq" | "atMs">;
}

type Action = keyof ActionMix;

/**
 * The deterministic sequence of messages the simulated endpoints send by themselves: new referrals,
 * requisitions, results, notifications, and the follow-ups they imply later in the sequence (a final lab
 * result after a partial one, a correction, the next hospital-notification of a stay, a reply). A function
 * of the seed, the scenario and the start time only; the rate spaces the messages in time.
 */
export function createPlanner(options: PlannerOptions): Planner {
  const { scenario, world } = options;
  const b = scenario.behaviour;
  const root = createRandom(options.seed);
  const random = root.fork("plan");
  const faults = root.fork("faults");
  const intervalMs = 1000 / options.rate;
  const followUps: FollowUp[] = [];
  let order = 0;
  let seq = 0;

  const invalidShare = new Map<string, number>();
  const duplicateShare = new Map<string, number>();
  for (const m of scenario.misbehaviour) {
    if (m.type === "invalid") invalidShare.set(m.endpoint, m.probability);
    if (m.type === "duplicates") duplicateShare.set(m.endpoint, m.probability);
  }

  const later = (min: number, max: number, produce: FollowUp["produce"]) => {
    followUps.push({ dueSeq: seq + random.int(min, max), order: order++, produce });
  };
  const fhirFormat = (): FhirWireFormat => (random.chance(b.fhirXmlShare) ? "fhir+xml" : "fhir+json");
  const ids = () => ({ bundleId: random.uuid(), messageHeaderId: random.uuid() });
  const oioxmlId = () => random.uuid().replaceAll("-", "").slice(0, 14).toUpperCase();
  const patient = (): SimPatient => random.pick(world.patients);
  const endpoint = (id: string): SimEndpoint => {
    const found = world.byId.get(id);
    if (found === undefined) throw new Error(`the world has no endpoint ${id}`);
    return found;
  };

  const planned = (
    built: BuiltSimMessage,
    variant: string,
    from: SimEndpoint,
    to: SimEndpoint,
    extra: Partial<PlannedMessage> = {},
  ): Omit<PlannedMessage, "seq" | "atMs"> => ({
    kind: built.kind,
    variant,
    from: from.id,
    to: to.id,
    messageId: built.messageId,
    envelopeId: built.envelopeId,
    contentType: built.contentType,
    body: built.body,
    ...extra,
  });

  function referral(now: Date, category: "hospital" | "municipal" | "package-kol" | "package-low-back-pain") {
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

  function taskRequisition(now: Date) {
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

  function careCommunication(now: Date) {
    const p = patient();
    const gp = endpoint(p.gpId);
    const municipality = endpoint(p.municipalityId);
    const hospital = world.byRole.hospital.length > 0 ? random.pick(world.byRole.hospital) : municipality;
    const [from, to] = random.pick([
      [gp, municipality],
      [municipality, gp],
      [hospital, municipality],
      [municipality, hospital],
      [hospital, gp],
    ] as const);
    const threadId = `urn:uuid:${random.uuid()}`;
    const category = random.pick(CARE_COMMUNICATION_CATEGORIES);
    const format = fhirFormat();
    const send = (
      sender: SimEndpoint,
      receiver: SimEndpoint,
      at: Date,
      reply?: { to: string; history: FhirResource[] },
    ) =>
      makeCareCommunication(
        {
          ids: ids(),
          now: at.toISOString(),
          sender: organization(sender),
          receiver: organization(receiver),
          patient: patientInput(p),
          threadId,
          category,
          text: careText(random, reply !== undefined),
          segmentId: `urn:uuid:${random.uuid()}`,
          author: sender.role === "practice" || sender.role === "hospital" ? random.pick(DOCTORS) : random.pick(NURSES),
          ...(reply === undefined
            ? {}
            : { link: { type: "reply" as const, to: { messageId: reply.to } }, history: reply.history }),
        },
        format,
      );
    const first = send(from, to, now);
    if (random.chance(0.4)) {
      later(2, 20, (at) => {
        const built = send(to, from, at, { to: first.messageId, history: provenanceOf(first.bundle) });
        return planned(built, "care-communication/reply", to, from);
      });
    }
    return planned(first, "care-communication/new", from, to);
  }

  function homecareObservation(now: Date) {
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
          ...(link === undefined
            ? {}
            : { link: { type: link.type, to: { messageId: link.to } }, history: link.history }),
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
    return planned(
      first,
      consentGiven ? "homecare-observation/new" : "homecare-observation/consent-withheld",
      from,
      to,
    );
  }

  function labReport(
    at: Date,
    from: SimEndpoint,
    to: SimEndpoint,
    p: SimPatient,
    sample: { id: string; taken: Date; consentGiven: boolean; analyses: typeof LAB_PANEL },
    stage: "partial" | "final" | "corrected",
  ) {
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

  function labResult(now: Date, producedByPractice: boolean) {
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
        planned(labReport(at, from, to, p, sample, "final"), `lab-result/${source}/final${consent}`, from, to),
      );
    }
    if (corrected) {
      later(partial ? 16 : 2, 40, (at) =>
        planned(labReport(at, from, to, p, sample, "corrected"), `lab-result/${source}/corrected${consent}`, from, to),
      );
    }
    const stage = partial ? "partial" : "final";
    return planned(labReport(now, from, to, p, sample, stage), `lab-result/${source}/${stage}${consent}`, from, to);
  }

  function hospitalNotification(now: Date) {
    const p = patient();
    const hospitals = world.byRole.hospital;
    if (hospitals.length === 0) return careCommunication(now);
    const from = random.pick(hospitals);
    const to = endpoint(p.municipalityId);
    const episodeOfCareId = random.uuid();
    const inpatient = random.chance(0.7);
    const start = now.toISOString();
    const format = fhirFormat();
    type Step = {
      activity: Parameters<typeof makeHospitalNotification>[0]["activity"];
      status: "in-progress" | "onleave" | "finished";
      leave?: "start" | "end";
    };
    const steps: Step[] = inpatient
      ? [
          { activity: "admit-inpatient", status: "in-progress" },
          ...(random.chance(0.3)
            ? ([
                { activity: "start-leave-inpatient", status: "onleave", leave: "start" },
                { activity: "end-leave-inpatient", status: "in-progress", leave: "end" },
              ] as Step[])
            : []),
          { activity: "discharge-inpatient-home", status: "finished" },
        ]
      : [
          { activity: "admit-emergency", status: "in-progress" },
          { activity: "discharge-emergency-home", status: "finished" },
        ];
    let leaveStart: string | undefined;
    const send = (at: Date, step: Step, previous?: { messageId: string; history: FhirResource[] }) => {
      if (step.leave === "start") leaveStart = at.toISOString();
      return makeHospitalNotification(
        {
          ids: ids(),
          now: at.toISOString(),
          sender: organization(from),
          receiver: organization(to),
          patient: patientInput(p),
          activity: step.activity,
          encounter: {
            class: inpatient ? "IMP" : "EMER",
            status: step.status,
            episodeOfCareId,
            start,
            ...(step.status === "finished" ? { end: at.toISOString() } : {}),
            ...(leaveStart !== undefined && step.leave !== undefined ? { leaveStart } : {}),
            ...(step.leave === "end" ? { leaveEnd: at.toISOString() } : {}),
          },
          ...(previous === undefined
            ? {}
            : { link: { type: "reply" as const, to: { messageId: previous.messageId } }, history: previous.history }),
        },
        format,
      );
    };
    const chain = (index: number, previous: BuiltSimMessage) => {
      const step = steps[index];
      if (step === undefined) return;
      later(3, 30, (at) => {
        const built = send(at, step, { messageId: previous.messageId, history: provenanceOf(previous.bundle) });
        chain(index + 1, built);
        return planned(built, `hospital-notification/${step.activity}`, from, to);
      });
    };
    const [first] = steps;
    if (first === undefined) throw new Error("unreachable: a stay has steps");
    const built = send(now, first);
    chain(1, built);
    return planned(built, `hospital-notification/${first.activity}`, from, to);
  }

  function notification(now: Date) {
    const p = patient();
    const from = endpoint(p.gpId);
    const others = world.byRole.practice.filter((e) => e.id !== from.id);
    const to = others.length > 0 ? random.pick(others) : from;
    const built = makeNotification(
      {
        ids: ids(),
        now: now.toISOString(),
        sender: organization(from),
        receiver: organization(to),
        patient: patientInput(p),
        topic: "journal-tilgaengelig",
        text: "Der ligger nyt materiale om fælles patient.",
      },
      fhirFormat(),
    );
    return planned(built, "notification/new", from, to);
  }

  const actions: (readonly [Action, number])[] = (Object.keys(scenario.mix) as Action[]).map(
    (a) => [a, scenario.mix[a]] as const,
  );

  function fresh(now: Date): Omit<PlannedMessage, "seq" | "atMs"> {
    const action = random.weighted(actions);
    switch (action) {
      case "hospitalReferral":
        return referral(now, "hospital");
      case "municipalReferral":
        return referral(now, "municipal");
      case "packageReferral":
        return referral(now, random.chance(0.5) ? "package-kol" : "package-low-back-pain");
      case "taskRequisition":
        return taskRequisition(now);
      case "careCommunication":
        return careCommunication(now);
      case "homecareObservation":
        return homecareObservation(now);
      case "labResult":
        return labResult(now, false);
      case "practiceLabResult":
        return labResult(now, true);
      case "hospitalNotification":
        return hospitalNotification(now);
      case "notification":
        return notification(now);
    }
  }

  function dueFollowUp(): FollowUp | undefined {
    let best: FollowUp | undefined;
    for (const f of followUps) {
      if (f.dueSeq > seq) continue;
      if (best === undefined || f.dueSeq < best.dueSeq || (f.dueSeq === best.dueSeq && f.order < best.order)) best = f;
    }
    if (best !== undefined) followUps.splice(followUps.indexOf(best), 1);
    return best;
  }

  return {
    next() {
      const atMs = Math.round(seq * intervalMs);
      const now = new Date(options.startTime + atMs);
      const due = dueFollowUp();
      let message = due !== undefined ? due.produce(now) : fresh(now);
      const invalid = invalidShare.get(message.from);
      if (invalid !== undefined && message.fault === undefined && faults.chance(invalid)) {
        message = { ...message, ...corruptMessage(message, faults), fault: "invalid" };
      } else {
        const duplicates = duplicateShare.get(message.from);
        if (duplicates !== undefined && faults.chance(duplicates)) {
          const original = message;
          later(1, 5, (at) => ({ ...duplicateOf(original, at, faults), fault: "duplicate" }));
        }
      }
      const out: PlannedMessage = { seq, atMs, ...message };
      seq += 1;
      return out;
    },
  };
}

/** The first `n` planned messages of a simulation. */
export function planMessages(options: PlannerOptions, n: number): PlannedMessage[] {
  const planner = createPlanner(options);
  return Array.from({ length: n }, () => planner.next());
}

export type { Random };
