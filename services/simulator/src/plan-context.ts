import type { MessageKind } from "@carehub/schemas";
import type { BuiltSimMessage, FhirWireFormat } from "./message-factory.ts";
import type { Random } from "./random.ts";
import type { Scenario } from "./scenario.ts";
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

/** A planned message before the planner gives it its place in the sequence. */
export type PlannedDraft = Omit<PlannedMessage, "seq" | "atMs">;

/**
 * What each kind's planner draws on: the one random stream (so the whole plan stays a function of the seed, in
 * the order the draws are made), the world, the scenario's behaviour, and `later` for follow-ups.
 */
export interface PlanContext {
  random: Random;
  world: SimWorld;
  behaviour: Scenario["behaviour"];
  /** Plans a follow-up between `min` and `max` messages from now. */
  later(min: number, max: number, produce: (now: Date) => PlannedDraft): void;
  fhirFormat(): FhirWireFormat;
  ids(): { bundleId: string; messageHeaderId: string };
  oioxmlId(): string;
  patient(): SimPatient;
  endpoint(id: string): SimEndpoint;
  planned(
    built: BuiltSimMessage,
    variant: string,
    from: SimEndpoint,
    to: SimEndpoint,
    extra?: Partial<PlannedMessage>,
  ): PlannedDraft;
}

export function createPlanContext(
  random: Random,
  world: SimWorld,
  behaviour: Scenario["behaviour"],
  later: PlanContext["later"],
): PlanContext {
  return {
    random,
    world,
    behaviour,
    later,
    fhirFormat: () => (random.chance(behaviour.fhirXmlShare) ? "fhir+xml" : "fhir+json"),
    ids: () => ({ bundleId: random.uuid(), messageHeaderId: random.uuid() }),
    oioxmlId: () => random.uuid().replaceAll("-", "").slice(0, 14).toUpperCase(),
    patient: () => random.pick(world.patients),
    endpoint: (id) => {
      const found = world.byId.get(id);
      if (found === undefined) throw new Error(`the world has no endpoint ${id}`);
      return found;
    },
    planned: (built, variant, from, to, extra = {}) => ({
      kind: built.kind,
      variant,
      from: from.id,
      to: to.id,
      messageId: built.messageId,
      envelopeId: built.envelopeId,
      contentType: built.contentType,
      body: built.body,
      ...extra,
    }),
  };
}
