import {
  TRANSLATE_ERROR_CODES,
  type TranslatedLetter,
  type TranslationRefusal,
  translateLabResult,
} from "@carehub/formats";
import { type TranslationIds, translationIds } from "@carehub/ledger";
import type { Endpoint, Envelope, EventOf, Party } from "@carehub/schemas";
import type { RouteDelivery } from "./route-resolver.ts";
import type { RoutingRegistry } from "./routing-registry.ts";

/** A receiver's copy that is a letter the hub made by translating the message, not the message's own bytes. */
export interface TranslatedCopy {
  delivery: RouteDelivery;
  ids: TranslationIds;
  letter: TranslatedLetter;
  /**
   * What the letter must follow at the receiver (header Carehub-After): the letter made from the original it
   * corrects, or the original itself when that reached the receiver as its own bytes (an OIOXML original).
   */
  after?: string;
}

export interface RefusedCopy {
  delivery: RouteDelivery;
  refusal: TranslationRefusal;
}

/**
 * Whether a receiver gets a translation instead of the bytes as received: an endpoint that wants OIOXML (a lab
 * databank, `delivery.format: oioxml`) and a practice's FHIR lab result. OIOXML lab letters go as received.
 */
export function wantsTranslation(envelope: Envelope, endpoint: Endpoint | undefined): boolean {
  return endpoint?.delivery.format === "oioxml" && envelope.kind === "lab-result" && envelope.format !== "oioxml";
}

/**
 * Translates the message for every delivery that wants it. Pure but for the clock: the ids derive from the source's
 * hub id and the receiver, the parties from the registry — the producing practice is the authenticated sender as
 * registered (never the payload's claim, nor the patient's current GP).
 */
export function translateForDeliveries(
  envelope: Envelope,
  deliveries: readonly RouteDelivery[],
  registry: RoutingRegistry,
  bytes: Uint8Array,
  now: Date,
): { letters: TranslatedCopy[]; refused: RefusedCopy[] } {
  const letters: TranslatedCopy[] = [];
  const refused: RefusedCopy[] = [];
  const producer = producerOf(envelope, registry.byId(envelope.sourceEndpoint));
  for (const delivery of deliveries) {
    const endpoint = registry.byId(delivery.endpoint);
    if (endpoint === undefined || !wantsTranslation(envelope, endpoint)) continue;
    const ids = translationIds(envelope.hubId, delivery.endpoint);
    const outcome = translateLabResult(bytes, envelope.payload.contentType, {
      ids: { envelopeId: ids.envelopeId, letterId: ids.letterId },
      now,
      producer,
      databank: {
        ...(endpoint.identifiers.gln[0] === undefined ? {} : { gln: endpoint.identifiers.gln[0] }),
        name: endpoint.name,
      },
    });
    if (outcome.ok) letters.push({ delivery, ids, letter: outcome });
    else refused.push({ delivery, refusal: outcome });
  }
  return { letters, refused };
}

/** The producing practice: its registered GLN (the one the message named, which intake matched), ydernummer, name. */
function producerOf(envelope: Envelope, source: Endpoint | undefined): Party {
  if (source === undefined) return {};
  const glns = source.identifiers.gln;
  const named = envelope.sender.gln;
  const gln = named !== undefined && glns.includes(named) ? named : glns[0];
  return {
    ...(gln === undefined ? {} : { gln }),
    ...(source.identifiers.ydernummer === undefined ? {} : { ydernummer: source.identifiers.ydernummer }),
    name: source.name,
  };
}

/** `translated`, on the source message: which letter the hub made from it, for whom. */
export function translatedEvent(envelope: Envelope, copy: TranslatedCopy, at: Date): EventOf<"translated"> {
  return {
    schemaVersion: 1,
    at: at.toISOString(),
    type: "translated",
    eventId: `${envelope.hubId}:translated:${copy.delivery.endpoint}`,
    hubId: envelope.hubId,
    messageId: envelope.messageId,
    sourceEndpoint: envelope.sourceEndpoint,
    kind: envelope.kind,
    endpoint: copy.delivery.endpoint,
    letterHubId: copy.ids.hubId,
    letterId: copy.ids.letterId,
    letterType: "XRPT01",
    ...(copy.delivery.via === "addressed" ? {} : { rule: copy.delivery.via.rule }),
  };
}

/** `routed`, on the letter: a message of its own, sent by the producing practice, naming its source. */
export function letterRoutedEvent(envelope: Envelope, copy: TranslatedCopy, at: Date): EventOf<"routed"> {
  const { delivery } = copy;
  return {
    schemaVersion: 1,
    at: at.toISOString(),
    type: "routed",
    eventId: `${copy.ids.hubId}:routed`,
    hubId: copy.ids.hubId,
    messageId: copy.ids.letterId,
    sourceEndpoint: envelope.sourceEndpoint,
    kind: "lab-result",
    receivers: [delivery.endpoint],
    ruleCopies: delivery.via === "addressed" ? [] : [{ endpoint: delivery.endpoint, rule: delivery.via.rule }],
    // The letter asks for no positive receipt (minuspositivkvitt): the hub cannot yet match a databank's XCTL03.
    ackRequested: false,
    translatedFrom: envelope.hubId,
  };
}

/**
 * Refusals that only say the sharing rules held (consent withheld, nothing of the practice's own): nothing to
 * report. Every other refusal means a result that should reach the databank does not (a retraction the databank
 * cannot take, a field it needs): the operators must see it.
 */
const POLICY_REFUSALS: ReadonlySet<string> = new Set([
  TRANSLATE_ERROR_CODES.CONSENT_WITHHELD,
  TRANSLATE_ERROR_CODES.NO_OWN_RESULTS,
]);

/**
 * `dead-lettered` on the source, for the receiver its letter was not made for (the bytes stay in INGRESS; redriving
 * would translate them the same way, so the operator's task is with the sender). None for a policy refusal.
 */
export function translationRefusedEvent(
  envelope: Envelope,
  refused: RefusedCopy,
  at: Date,
): EventOf<"dead-lettered"> | undefined {
  if (POLICY_REFUSALS.has(refused.refusal.code)) return undefined;
  const endpoint = refused.delivery.endpoint;
  return {
    schemaVersion: 1,
    at: at.toISOString(),
    type: "dead-lettered",
    eventId: `${envelope.hubId}:dead-lettered:${endpoint}:translation`,
    hubId: envelope.hubId,
    messageId: envelope.messageId,
    sourceEndpoint: envelope.sourceEndpoint,
    kind: envelope.kind,
    endpoint,
    stage: "router",
    reason: { code: refused.refusal.code, message: refused.refusal.message },
    attempts: 0,
  };
}
