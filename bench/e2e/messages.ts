/**
 * The bench's traffic: real MedCom messages with a unique message id each, built from templates once and
 * restamped by string replacement (a sender that builds each message from scratch would measure itself).
 *   fhir    HomeCareObservation, FHIR JSON, about 2 KiB (acute team → practice)
 *   oioxml  XRPT01 lab letter (the MedCom example XRPT01_2, about 2.7 KB; lab → Klamer's practice)
 *   attach  CareCommunication with a 14 KiB PDF attachment, about 20 KiB (acute team → practice)
 * Ids are derived from (tag, index), so that every process of a run (producer, driver) agrees on them.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { buildCareCommunication, buildHomeCareObservation, type FhirResource } from "@carehub/medcom-fhir";

export type MessageType = "fhir" | "oioxml" | "attach";
export type MixName = "mixed" | MessageType;

/** mixed: 2 in 5 FHIR, 2 in 5 lab letters, 1 in 5 with an attachment. */
const MIXES: Record<MixName, readonly MessageType[]> = {
  mixed: ["fhir", "oioxml", "fhir", "oioxml", "attach"],
  fhir: ["fhir"],
  oioxml: ["oioxml"],
  attach: ["attach"],
};

export interface BenchMessage {
  /** The message id the hub reports as Carehub-Message-Id (MessageHeader.id / OIOXML letter identifier). */
  id: string;
  type: MessageType;
  body: Uint8Array;
  contentType: string;
  from: string;
  to: string;
}

const FIXTURES = new URL("../../test/fixtures/medcom/examples/", import.meta.url);
const TEMPLATE_HEADER_ID = "00000000-0000-4000-8000-000000000001";
const TEMPLATE_BUNDLE_ID = "00000000-0000-4000-8000-000000000002";
const TEMPLATE_LETTER_ID = "80901082504859";
const TEMPLATE_ENVELOPE_ID = "00114124637002";

const acuteTeam = { sor: "1144561000016002", gln: "5790000123117", name: "Akutfunktion" };
const practice = { sor: "52581000016005", gln: "5790000127092", name: "Skødstrup Lægepraksis", ydernummer: "061654" };
// Born 1885 (7th digit 5) and failing modulus 11: a CPR number never issued to anyone.
const patient = { identifier: { system: "cpr" as const, value: "0101855001" }, family: "Jensen", given: ["Karen"] };
const author = { family: "Holm", given: ["Lene"], role: "sygeplejerske", phone: "+4586000001" };
/** Raw PDF bytes: base64 makes them about 13 KiB, the whole message about 20 KiB. */
const ATTACHMENT_BYTES = 10 * 1024;
const NOW = "2026-01-05T10:00:00+01:00";

function homecareTemplate(): string {
  const bundle = buildHomeCareObservation({
    ids: { bundleId: TEMPLATE_BUNDLE_ID, messageHeaderId: TEMPLATE_HEADER_ID },
    now: NOW,
    sender: acuteTeam,
    receiver: practice,
    patient,
    issued: NOW,
    consentGiven: true,
    observations: [
      {
        system: "urn:oid:1.2.208.176.2.1",
        code: "NPU19748",
        display: "C-reaktivt protein [CRP];P",
        effective: NOW,
        value: { quantity: { value: 42, unit: "mg/L", code: "mg/L" } },
      },
    ],
    performer: author,
  }).bundle;
  return JSON.stringify(bundle);
}

/** A CareCommunication whose second segment is a PDF attachment (pseudo-random bytes behind a PDF header). */
function attachmentTemplate(): string {
  const built = buildCareCommunication({
    ids: { bundleId: TEMPLATE_BUNDLE_ID, messageHeaderId: TEMPLATE_HEADER_ID },
    now: NOW,
    sender: acuteTeam,
    receiver: practice,
    patient,
    threadId: "urn:uuid:00000000-0000-4000-8000-000000000003",
    category: "nursing",
    text: "Borgeren er set i dag. Blodprøvesvar vedhæftet.",
    segmentId: "urn:uuid:00000000-0000-4000-8000-000000000004",
    author,
  });
  const communication = built.bundle.entry?.find((e) => e.resource?.resourceType === "Communication")
    ?.resource as FhirResource & { payload: Array<{ extension: Array<Record<string, unknown>> }> };
  const text = communication.payload[0];
  if (text === undefined) throw new Error("bench: the CareCommunication template has no text segment");
  const pdf = Buffer.concat([Buffer.from("%PDF-1.7\n"), createHash("sha512").update("bench").digest()]);
  const data = Buffer.concat(Array.from({ length: ATTACHMENT_BYTES / pdf.length + 1 }, () => pdf)).subarray(
    0,
    ATTACHMENT_BYTES,
  );
  communication.payload.push({
    extension: text.extension.map((e) =>
      String(e.url).endsWith("identifier-extension")
        ? {
            ...e,
            valueIdentifier: {
              ...(e.valueIdentifier as object),
              value: "urn:uuid:00000000-0000-4000-8000-000000000005",
            },
          }
        : e,
    ),
    contentAttachment: {
      contentType: "application/pdf",
      data: data.toString("base64"),
      title: "Blodprøvesvar",
      creation: NOW,
    },
  } as never);
  return JSON.stringify(built.bundle);
}

interface Templates {
  fhir: string;
  attach: string;
  /** latin1 text of the windows-1252 letter: one character per byte, so replacement keeps the bytes. */
  oioxml: string;
}

let templates: Templates | undefined;
function loadTemplates(): Templates {
  templates ??= {
    fhir: homecareTemplate(),
    attach: attachmentTemplate(),
    // Asks for a positive receipt, as FHIR messages always do, so that every message has an acknowledgement
    // to wait for when receivers acknowledge.
    oioxml: readFileSync(new URL("oioxml/XRPT01_2.xml", FIXTURES))
      .toString("latin1")
      .replace("<AcknowledgementCode>minuspositivkvitt<", "<AcknowledgementCode>pluspositivkvitt<"),
  };
  return templates;
}

const tagPrefixes = new Map<string, string>();
/** 12 hex digits per tag, so that runs never reuse each other's ids. */
function tagPrefix(tag: string): string {
  let prefix = tagPrefixes.get(tag);
  if (prefix === undefined) {
    prefix = createHash("sha256").update(tag).digest("hex").slice(0, 12);
    tagPrefixes.set(tag, prefix);
  }
  return prefix;
}

const uuidFor = (prefix: string, i: number, salt: number): string =>
  `${prefix.slice(0, 8)}-${prefix.slice(8, 12)}-4${salt}00-8000-${i.toString(16).padStart(12, "0")}`;

export function messageTypeAt(mix: MixName, i: number): MessageType {
  const types = MIXES[mix];
  return types[i % types.length] as MessageType;
}

export function messageAt(mix: MixName, i: number, tag: string): BenchMessage {
  const t = loadTemplates();
  const type = messageTypeAt(mix, i);
  const prefix = tagPrefix(tag);
  if (type === "oioxml") {
    // 14 digits: 5 from the tag, 9 from the index.
    const digits = `${Number.parseInt(prefix.slice(0, 8), 16) % 100_000}`.padStart(5, "0");
    const id = `${digits}${String(i).padStart(9, "0")}`;
    const envelope = `${String((Number.parseInt(prefix.slice(8), 16) % 90_000) + 10_000)}${String(i).padStart(9, "0")}`;
    const text = t.oioxml.replace(TEMPLATE_LETTER_ID, id).replace(TEMPLATE_ENVELOPE_ID, envelope);
    return { id, type, body: Buffer.from(text, "latin1"), contentType: "application/xml", from: "lab", to: "klamer" };
  }
  const id = uuidFor(prefix, i, 0);
  const text = t[type].replaceAll(TEMPLATE_HEADER_ID, id).replaceAll(TEMPLATE_BUNDLE_ID, uuidFor(prefix, i, 1));
  return {
    id,
    type,
    body: Buffer.from(text),
    contentType: "application/fhir+json",
    from: "acute-team",
    to: "practice",
  };
}
