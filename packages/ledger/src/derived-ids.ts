import { hash } from "node:crypto";

/*
 * Every id the hub derives for a message, in one place (docs/contracts.md "Hub ids"). Name-based UUIDs
 * (RFC 9562 version 5) in carehub's namespace: the same parts always give the same id, so redoing any step
 * after a crash makes the same id and every publish dedups.
 */

/** carehub's namespace UUID for name-based ids (a fixed random UUID; changing it changes every hub id). */
const HUB_ID_NAMESPACE = Buffer.from("6f1c2e4a9b3d4c7e8a5f0d2b1e3c4a6f", "hex");

/** A name-based UUID (RFC 9562 version 5) from the given parts: the same parts always give the same id. */
export function derivedUuid(...parts: string[]): string {
  const h = derivedHex(parts);
  // The version (5) in place of the 13th digit, the variant (10xx) in the two top bits of the 17th.
  const variant = ((Number.parseInt(h.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A short derived id of decimal digits, for OIOXML envelope and letter identifiers (max 14 characters). */
export function derivedDigits(length: number, ...parts: string[]): string {
  return BigInt(`0x${derivedHex(parts)}`)
    .toString()
    .slice(-length)
    .padStart(length, "0");
}

/** SHA-1 of the namespace and the parts (one-shot `hash`: a message's hub id is derived at every stage). */
function derivedHex(parts: string[]): string {
  const name = Buffer.from(JSON.stringify(parts), "utf8");
  return hash("sha1", Buffer.concat([HUB_ID_NAMESPACE, name], HUB_ID_NAMESPACE.length + name.length), "hex").slice(
    0,
    32,
  );
}

/**
 * The hub id of a message whose own id could be read: from (namespace, sending endpoint, message id). The
 * sending endpoint is the authenticated one (the gateway's token, or the INGRESS subject NATS permissions
 * bind), never a party the message names. Every copy of one message, whichever way it came, gets this id.
 */
export function messageHubId(namespace: string, endpoint: string, messageId: string): string {
  return derivedUuid("message", namespace, endpoint, messageId);
}

/** The hub id of a message whose own id could not be read: from where INGRESS stored it. */
export function ingressHubId(stream: string, seq: number): string {
  return derivedUuid("ingress", stream, String(seq));
}

/** The ids of an acknowledgement the hub sends: its hub id (also its FHIR MessageHeader.id), Bundle id, OIOXML ids. */
export interface AcknowledgementIds {
  hubId: string;
  bundleId: string;
  letterId: string;
  envelopeId: string;
}

/**
 * The ids of the negative acknowledgement the hub makes for a rejected message: from the rejected message's
 * hub id, so every stage that rejects it (intake, router) answers alike and a rebuild after a crash dedups.
 */
export function negativeAcknowledgementIds(originalHubId: string): AcknowledgementIds {
  return {
    hubId: derivedUuid("nack", originalHubId),
    bundleId: derivedUuid("nack-bundle", originalHubId),
    letterId: derivedDigits(14, "nack-letter", originalHubId),
    envelopeId: derivedDigits(14, "nack-envelope", originalHubId),
  };
}

/**
 * The ids of the answer one repeat gets: new ones per copy (MedCom: the acknowledgement of a duplicate has a
 * new Bundle.id, MessageHeader.id and timestamp), derived from the first copy's hub id and what names this
 * copy, so answering the same copy again after a crash dedups.
 */
export function repeatAnswerIds(firstHubId: string, copy: string): AcknowledgementIds {
  return {
    hubId: derivedUuid("repeat-answer", firstHubId, copy),
    bundleId: derivedUuid("repeat-answer-bundle", firstHubId, copy),
    letterId: derivedDigits(14, "repeat-answer-letter", firstHubId, copy),
    envelopeId: derivedDigits(14, "repeat-answer-envelope", firstHubId, copy),
  };
}

/** The ids of a message the hub makes itself (a status return), and the hub id intake will derive for it. */
export interface HubMessageIds {
  hubId: string;
  /** Its MessageHeader.id. */
  messageId: string;
  bundleId: string;
}

/**
 * Ids for a message the hub itself sends through INGRESS, named by `name` (e.g. the tracker's effect id): the
 * same name always gives the same message, so a retry is a repeat; the hub id is the one intake derives.
 */
export function hubMessageIds(namespace: string, hubEndpointId: string, name: string): HubMessageIds {
  const messageId = derivedUuid("hub-message", namespace, name);
  return {
    hubId: messageHubId(namespace, hubEndpointId, messageId),
    messageId,
    bundleId: derivedUuid("hub-message-bundle", namespace, name),
  };
}

/** The ids of a letter the hub makes by translating a message for one receiver (a lab result for a databank). */
export interface TranslationIds {
  /** The letter's own hub id: a message of its own, linked to its source in the timeline. */
  hubId: string;
  letterId: string;
  envelopeId: string;
}

/**
 * Ids for the translation of one message for one receiver: from the source's hub id and the receiver, so routing
 * the source again after a crash makes the same letter (and every publish dedups), and a correction can name the
 * letter of the original it must follow without looking it up.
 */
export function translationIds(sourceHubId: string, endpoint: string): TranslationIds {
  return {
    hubId: derivedUuid("translation", sourceHubId, endpoint),
    letterId: derivedDigits(14, "translation-letter", sourceHubId, endpoint),
    envelopeId: derivedDigits(14, "translation-envelope", sourceHubId, endpoint),
  };
}
