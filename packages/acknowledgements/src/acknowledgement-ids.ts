import { createHash } from "node:crypto";

/** The namespace UUID the gateway and intake use for name-based ids (kept identical so ids agree). */
const HUB_ID_NAMESPACE = Buffer.from("6f1c2e4a9b3d4c7e8a5f0d2b1e3c4a6f", "hex");

/** A name-based UUID (RFC 9562 version 5) from the given parts: the same parts always give the same id. */
export function derivedUuid(...parts: string[]): string {
  const hex = derivedHex(parts).split("");
  hex[12] = "5";
  hex[16] = ((Number.parseInt(hex[16] ?? "0", 16) & 0x3) | 0x8).toString(16);
  const h = hex.join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** A short derived id of decimal digits, for OIOXML envelope and letter identifiers (max 14 characters). */
export function derivedDigits(length: number, ...parts: string[]): string {
  return BigInt(`0x${derivedHex(parts)}`)
    .toString()
    .slice(-length)
    .padStart(length, "0");
}

function derivedHex(parts: string[]): string {
  return createHash("sha1").update(HUB_ID_NAMESPACE).update(JSON.stringify(parts), "utf8").digest("hex").slice(0, 32);
}

/** The ids of the negative acknowledgement the hub makes for a rejected message. */
export interface NegativeAcknowledgementIds {
  /** Hub id of the acknowledgement (Carehub-Hub-Id on OUTBOX; also its FHIR MessageHeader.id). */
  hubId: string;
  bundleId: string;
  letterId: string;
  envelopeId: string;
}

/**
 * Derived from the rejected message's hub id, so rebuilding after a crash gives the same ids and bytes and
 * every publish dedups. Identical to intake's derivation, so the hub answers alike whichever stage rejects.
 */
export function negativeAcknowledgementIds(originalHubId: string): NegativeAcknowledgementIds {
  return {
    hubId: derivedUuid("nack", originalHubId),
    bundleId: derivedUuid("nack-bundle", originalHubId),
    letterId: derivedDigits(14, "nack-letter", originalHubId),
    envelopeId: derivedDigits(14, "nack-envelope", originalHubId),
  };
}
