import { randomUUID } from "node:crypto";
import { UnsupportedMessageError } from "./errors.ts";

/** A new transmission of the same message: new envelope id and send time, everything else unchanged. */
export interface Restamp {
  envelopeId: string;
  sentAt: Date;
}

/** The wire format a content type names, as far as resending is concerned. */
export type ResendFormat = "fhir+json" | "fhir+xml" | "oioxml";

export function formatOfContentType(contentType: string): ResendFormat | undefined {
  const type = contentType.split(";")[0]?.trim().toLowerCase() ?? "";
  if (type === "application/fhir+json" || type === "application/json") return "fhir+json";
  if (type === "application/fhir+xml") return "fhir+xml";
  if (type === "application/xml" || type === "text/xml") return "oioxml";
  return undefined;
}

/** A fresh envelope id in the form each format uses (OIOXML envelope identifiers are short). */
export function newEnvelopeId(format: ResendFormat): string {
  const uuid = randomUUID();
  return format === "oioxml" ? uuid.replaceAll("-", "").slice(0, 14).toUpperCase() : uuid;
}

/**
 * Gives a message a new envelope id (FHIR Bundle.id, OIOXML Envelope/Identifier) and a new send time
 * (Bundle.timestamp, Envelope/Sent), keeping the message id and the content byte for byte otherwise:
 * MedCom's rule for resending a message that got no acknowledgement.
 */
export function restampMessage(body: string | Uint8Array, contentType: string, stamp: Restamp): string | Uint8Array {
  const format = formatOfContentType(contentType);
  switch (format) {
    case "fhir+json":
      return restampFhirJson(typeof body === "string" ? body : new TextDecoder().decode(body), stamp);
    case "fhir+xml":
      return restampXml(body, (xml) => restampFhirXml(xml, stamp));
    case "oioxml":
      return restampXml(body, (xml) => restampOioxml(xml, stamp));
    case undefined:
      throw new UnsupportedMessageError(`cannot resend a message of content type ${contentType}`);
  }
}

function restampFhirJson(text: string, stamp: Restamp): string {
  const bundle = JSON.parse(text) as Record<string, unknown>;
  if (bundle.resourceType !== "Bundle") throw new UnsupportedMessageError("a FHIR message must be a Bundle");
  const previousId = bundle.id;
  bundle.id = stamp.envelopeId;
  bundle.timestamp = stamp.sentAt.toISOString();
  // Bundle.identifier may repeat Bundle.id; keep the two in step.
  const identifier = bundle.identifier as { value?: unknown } | undefined;
  if (identifier !== undefined && identifier.value === previousId) identifier.value = stamp.envelopeId;
  return JSON.stringify(bundle);
}

/**
 * XML is edited as text so that everything but the two stamped values stays byte-identical.
 * Bytes are read as latin1, which maps every byte to one character and back, so windows-1252 OIOXML
 * and UTF-8 FHIR XML both survive untouched.
 */
function restampXml(body: string | Uint8Array, edit: (xml: string) => string): string | Uint8Array {
  if (typeof body === "string") return edit(body);
  return new Uint8Array(Buffer.from(edit(Buffer.from(body).toString("latin1")), "latin1"));
}

function restampFhirXml(xml: string, stamp: Restamp): string {
  // In a FHIR XML Bundle, `id` is the first child and `timestamp` precedes every entry, so the first
  // occurrence of each is the Bundle's own.
  const withId = replaceFirst(xml, /(<(?:\w+:)?id\s+value=")[^"]*(")/, stamp.envelopeId, "Bundle.id");
  return replaceFirst(
    withId,
    /(<(?:\w+:)?timestamp\s+value=")[^"]*(")/,
    stamp.sentAt.toISOString(),
    "Bundle.timestamp",
  );
}

function restampOioxml(xml: string, stamp: Restamp): string {
  const match = /<((?:\w+:)?)Envelope>([\s\S]*?)<\/\1Envelope>/.exec(xml);
  if (match === null) throw new UnsupportedMessageError("the OIOXML message has no Envelope element");
  const prefix = match[1] ?? "";
  const { date, time } = danishDateTime(stamp.sentAt);
  let envelope = match[2] ?? "";
  envelope = replaceFirst(
    envelope,
    new RegExp(`(<${prefix}Identifier>)[^<]*(</${prefix}Identifier>)`),
    stamp.envelopeId,
    "Envelope/Identifier",
  );
  envelope = replaceFirst(envelope, new RegExp(`(<${prefix}Date>)[^<]*(</${prefix}Date>)`), date, "Envelope/Sent/Date");
  envelope = replaceFirst(envelope, new RegExp(`(<${prefix}Time>)[^<]*(</${prefix}Time>)`), time, "Envelope/Sent/Time");
  const start = match.index + `<${prefix}Envelope>`.length;
  return xml.slice(0, start) + envelope + xml.slice(start + (match[2] ?? "").length);
}

function replaceFirst(text: string, pattern: RegExp, value: string, what: string): string {
  if (!pattern.test(text)) throw new UnsupportedMessageError(`the message has no ${what} to renew`);
  return text.replace(pattern, (_all, open: string, close: string) => `${open}${value}${close}`);
}

const danishFormat = new Intl.DateTimeFormat("en-CA", {
  timeZone: "Europe/Copenhagen",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
});

/** OIOXML send times are local Danish date and hh:mm. */
export function danishDateTime(at: Date): { date: string; time: string } {
  const parts = Object.fromEntries(danishFormat.formatToParts(at).map((p) => [p.type, p.value]));
  return { date: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}` };
}
