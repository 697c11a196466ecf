import type { MessageKind } from "@carehub/schemas";

/** What the simulated endpoints do on their own initiative; weights of each action in the message mix. */
export interface ActionMix {
  hospitalReferral: number;
  municipalReferral: number;
  packageReferral: number;
  taskRequisition: number;
  careCommunication: number;
  homecareObservation: number;
  labResult: number;
  practiceLabResult: number;
  hospitalNotification: number;
  notification: number;
}

/** How the endpoints answer what they receive. Probabilities in [0, 1], delays in milliseconds. */
export interface ScenarioBehaviour {
  /** A hospital books a referral after this delay, then... */
  hospitalBookingDelayMs: [number, number];
  /** ...completes, reschedules, cancels or records a no-show after this delay. */
  hospitalOutcomeDelayMs: [number, number];
  hospitalRescheduleProbability: number;
  hospitalCancelProbability: number;
  hospitalNoShowProbability: number;
  /** A booked referral is deleted as entered in error (a duplicate of another referral, the wrong patient). */
  hospitalDeleteProbability: number;
  /** A municipality answers a task requisition after this delay. */
  municipalityAnswerDelayMs: [number, number];
  municipalityRejectProbability: number;
  /** A task in progress is cancelled (the citizen was admitted, moved, or died). */
  municipalityCancelProbability: number;
  /** A lab result is sent as a partial result first, then the final one. */
  labPartialProbability: number;
  /** A final lab result is corrected later. */
  labCorrectionProbability: number;
  labConsentWithheldProbability: number;
  homecareCorrectionProbability: number;
  homecareRetractionProbability: number;
  homecareConsentWithheldProbability: number;
  /** The share of FHIR messages sent as FHIR XML instead of JSON. */
  fhirXmlShare: number;
}

/** Ways an endpoint can be told to misbehave, so every failure path of the hub shows. */
export type Misbehaviour =
  /** Answers webhook deliveries only after `delayMs`. */
  | { type: "slow"; endpoint: string; delayMs: number }
  /** Refuses webhook deliveries (HTTP 503) for `forMs` out of every `everyMs`, starting `afterMs` in. */
  | { type: "down"; endpoint: string; afterMs: number; forMs: number; everyMs: number }
  /** Sends this share of its messages broken (a bad GLN check digit, a missing element). */
  | { type: "invalid"; endpoint: string; probability: number }
  /** Sends this share of its messages twice (the second time as a MedCom resend, new envelope id). */
  | { type: "duplicates"; endpoint: string; probability: number }
  /** Takes deliveries but never acknowledges them. */
  | { type: "never-ack"; endpoint: string }
  /** Refuses this share of webhook deliveries with HTTP 400, which the hub treats as permanent (dead letter). */
  | { type: "refuse"; endpoint: string; probability: number }
  /** Takes deliveries but answers this share with a fatal-error acknowledgement (a negative ack). */
  | { type: "negative-ack"; endpoint: string; probability: number };

export interface Scenario {
  name: string;
  practices: number;
  municipalities: number;
  /** Municipal acute teams (kommunal akutfunktion), each belonging to one of the first municipalities. */
  acuteTeams: number;
  hospitals: number;
  laboratories: number;
  databanks: number;
  /** Size of the synthetic patient population. */
  patients: number;
  mix: ActionMix;
  behaviour: ScenarioBehaviour;
  /** How long the hub waits for each receiver's acknowledgement before it raises ack-overdue. */
  ackTimeoutSeconds: number;
  /** Endpoint ids (or role patterns like `practice:0`) that take deliveries on their NATS inbox. */
  natsEndpoints: string[];
  misbehaviour: Misbehaviour[];
}

export const DEFAULT_MIX: ActionMix = {
  hospitalReferral: 12,
  municipalReferral: 4,
  packageReferral: 3,
  taskRequisition: 10,
  careCommunication: 14,
  homecareObservation: 14,
  labResult: 22,
  practiceLabResult: 6,
  hospitalNotification: 12,
  notification: 3,
};

export const DEFAULT_BEHAVIOUR: ScenarioBehaviour = {
  hospitalBookingDelayMs: [500, 4_000],
  hospitalOutcomeDelayMs: [2_000, 15_000],
  hospitalRescheduleProbability: 0.15,
  hospitalCancelProbability: 0.08,
  hospitalNoShowProbability: 0.07,
  hospitalDeleteProbability: 0.03,
  municipalityAnswerDelayMs: [500, 5_000],
  municipalityRejectProbability: 0.1,
  municipalityCancelProbability: 0.08,
  labPartialProbability: 0.3,
  labCorrectionProbability: 0.1,
  labConsentWithheldProbability: 0.05,
  homecareCorrectionProbability: 0.1,
  homecareRetractionProbability: 0.04,
  homecareConsentWithheldProbability: 0.05,
  fhirXmlShare: 0.1,
};

/** The demo's region: 20 practices, 3 municipalities with one acute team, 2 hospitals, 1 lab, 1 databank. */
export function demoScenario(overrides: Partial<Scenario> = {}): Scenario {
  return {
    name: "demo",
    practices: 20,
    municipalities: 3,
    acuteTeams: 1,
    hospitals: 2,
    laboratories: 1,
    databanks: 1,
    patients: 500,
    mix: DEFAULT_MIX,
    behaviour: DEFAULT_BEHAVIOUR,
    ackTimeoutSeconds: 45,
    // One practice takes its deliveries from its NATS inbox, like a system inside the hub's network.
    natsEndpoints: ["laegehuset-agerskov"],
    misbehaviour: [],
    ...overrides,
  };
}

/** A small region for tests: every role once, two practices. */
export function smallScenario(overrides: Partial<Scenario> = {}): Scenario {
  return demoScenario({
    name: "small",
    practices: 2,
    municipalities: 1,
    hospitals: 1,
    patients: 20,
    natsEndpoints: [],
    ...overrides,
  });
}

/**
 * One endpoint of each kind of failure, on distinct endpoints of the demo region: a slow practice, a
 * municipality that goes down for 20 s every minute, a practice that sends broken messages, a hospital that
 * sends duplicates, a practice that never acknowledges, one that refuses some deliveries outright, and a
 * hospital that answers some messages with a negative acknowledgement.
 *
 * `quick` front-loads the failures for short runs (tests, a demo with a small ack timeout): the municipality
 * is down for 0.3 s every 3 s from 2 s in (short enough that the hub's circuit breaker stays closed and the
 * retries land within a second), and the broken messages, refusals and negative acknowledgements come at
 * half of the endpoint's messages, so every failure path shows within the first ten seconds or so.
 */
export function demoMisbehaviour(
  endpointIds: {
    practices: string[];
    municipalities: string[];
    hospitals: string[];
  },
  options: { quick?: boolean } = {},
): Misbehaviour[] {
  const quick = options.quick === true;
  const share = (normal: number) => (quick ? 0.5 : normal);
  const out: Misbehaviour[] = [];
  const [p0, p1, p2, p3] = endpointIds.practices;
  const m0 = endpointIds.municipalities[0];
  const [h0, h1] = endpointIds.hospitals;
  if (p0 !== undefined) out.push({ type: "slow", endpoint: p0, delayMs: 2_500 });
  if (m0 !== undefined) {
    // Quick: blips short enough that fewer failures than the hub's circuit threshold (5) pile up, so the
    // retries land within a second instead of after the circuit's 30 s cool-down.
    const window = quick
      ? { afterMs: 2_000, forMs: 300, everyMs: 3_000 }
      : { afterMs: 10_000, forMs: 20_000, everyMs: 60_000 };
    out.push({ type: "down", endpoint: m0, ...window });
  }
  if (p1 !== undefined) out.push({ type: "invalid", endpoint: p1, probability: share(0.2) });
  if (h0 !== undefined) out.push({ type: "duplicates", endpoint: h0, probability: 0.15 });
  if (p2 !== undefined) out.push({ type: "never-ack", endpoint: p2 });
  if (p3 !== undefined) out.push({ type: "refuse", endpoint: p3, probability: share(0.1) });
  if (h1 !== undefined) out.push({ type: "negative-ack", endpoint: h1, probability: share(0.15) });
  return out;
}

/** The message kinds each role sends and accepts (what the registry grants it). */
export const ROLE_KINDS: Readonly<Record<SimRole, { sends: MessageKind[]; accepts: MessageKind[] }>> = {
  practice: {
    sends: ["referral", "task-requisition", "care-communication", "lab-result", "notification", "acknowledgement"],
    accepts: [
      "homecare-observation",
      "lab-result",
      "status-update",
      "care-communication",
      "notification",
      "acknowledgement",
    ],
  },
  municipality: {
    sends: ["care-communication", "status-update", "acknowledgement"],
    accepts: ["referral", "task-requisition", "care-communication", "hospital-notification", "acknowledgement"],
  },
  "acute-team": {
    sends: ["homecare-observation", "status-update", "acknowledgement"],
    accepts: ["task-requisition", "acknowledgement"],
  },
  hospital: {
    // A package course: the hospital asks the municipality for rehabilitation (a task) and hears how it goes.
    sends: ["hospital-notification", "care-communication", "status-update", "task-requisition", "acknowledgement"],
    accepts: ["referral", "care-communication", "status-update", "acknowledgement"],
  },
  laboratory: { sends: ["lab-result", "acknowledgement"], accepts: ["acknowledgement"] },
  databank: { sends: ["acknowledgement"], accepts: ["lab-result", "acknowledgement"] },
};

export type SimRole = "practice" | "municipality" | "acute-team" | "hospital" | "laboratory" | "databank";
