import { fhirXmlToJson, serializeFhirXml } from "@carehub/medcom-fhir";
import { toDanishLocal } from "@carehub/medcom-xml";
import type { AcknowledgementIds } from "./derived-ids.ts";

/**
 * The bytes of an acknowledgement sent again for a repeat: the same answer — same outcome, issues and
 * `response.identifier` (OIOXML: the same original letter and refuse code) — under new ids and the time it is
 * sent, as MedCom's acknowledgement duplicate test scripts assert (new Bundle.id, MessageHeader.id and
 * timestamp). FHIR: Bundle.id, Bundle.timestamp and the MessageHeader's id (with every reference to it) are
 * renewed. OIOXML: the envelope and letter identifiers and the envelope's send time. Undefined when the bytes
 * are not an acknowledgement the hub can read (then nothing is resent rather than a wrong copy).
 */
export function renewAcknowledgement(
  bytes: Uint8Array,
  contentType: string,
  ids: AcknowledgementIds,
  now: Date,
): Uint8Array | undefined {
  try {
    if (contentType.includes("json")) return renewFhirJson(Buffer.from(bytes).toString("utf8"), ids, now);
    const text = Buffer.from(bytes).toString("latin1");
    if (/<(?:\w+:)?Emessage\b/.test(text.slice(0, 4096))) return renewLetter(text, ids, now);
    const fhir = fhirXmlToJson(Buffer.from(bytes).toString("utf8"));
    if (!fhir.ok) return undefined;
    const renewed = renewBundle(fhir.value, ids, now);
    return renewed === undefined ? undefined : Buffer.from(serializeFhirXml(renewed), "utf8");
  } catch {
    return undefined;
  }
}

function renewFhirJson(text: string, ids: AcknowledgementIds, now: Date): Uint8Array | undefined {
  const renewed = renewBundle(JSON.parse(text), ids, now);
  return renewed === undefined ? undefined : Buffer.from(JSON.stringify(renewed), "utf8");
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null;

/** A copy of the Bundle with new ids and timestamp; undefined without a MessageHeader to renew. */
function renewBundle(bundle: unknown, ids: AcknowledgementIds, now: Date): Json | undefined {
  if (!isObject(bundle) || bundle.resourceType !== "Bundle" || !Array.isArray(bundle.entry)) return undefined;
  const header = bundle.entry
    .map((entry: unknown) => (isObject(entry) ? entry.resource : undefined))
    .find((resource): resource is Json => isObject(resource) && resource.resourceType === "MessageHeader");
  const oldHeaderId = header?.id;
  if (typeof oldHeaderId !== "string" || oldHeaderId === "") return undefined;
  // Every mention of the old MessageHeader (its id, its entry's fullUrl, Provenance.target) names the new one.
  const copy = replaceEverywhere(bundle, oldHeaderId, ids.hubId) as Json;
  copy.id = ids.bundleId;
  copy.timestamp = now.toISOString();
  return copy;
}

function replaceEverywhere(value: unknown, from: string, to: string): unknown {
  if (typeof value === "string") return value === from || value.endsWith(`/${from}`) ? value.replace(from, to) : value;
  if (Array.isArray(value)) return value.map((item) => replaceEverywhere(item, from, to));
  if (!isObject(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, replaceEverywhere(item, from, to)]));
}

/** An OIOXML receipt with new envelope and letter identifiers and send time; latin1 keeps every other byte. */
function renewLetter(text: string, ids: AcknowledgementIds, now: Date): Uint8Array | undefined {
  const local = toDanishLocal(now);
  let renewed = text;
  for (const [pattern, value] of [
    [/(<(?:\w+:)?Envelope\b[^>]*>[\s\S]*?<(?:\w+:)?Identifier>)[^<]*(<\/)/, ids.envelopeId],
    [/(<(?:\w+:)?Letter\b[^>]*>[\s\S]*?<(?:\w+:)?Identifier>)[^<]*(<\/)/, ids.letterId],
    [/(<(?:\w+:)?Sent>[\s\S]*?<(?:\w+:)?Date>)[^<]*(<\/)/, local.date],
    [/(<(?:\w+:)?Sent>[\s\S]*?<(?:\w+:)?Time>)[^<]*(<\/)/, local.time],
  ] as const) {
    if (!pattern.test(renewed)) return undefined;
    renewed = renewed.replace(pattern, `$1${value}$2`);
  }
  return Buffer.from(renewed, "latin1");
}
