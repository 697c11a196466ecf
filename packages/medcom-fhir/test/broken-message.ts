// Valid messages of every kind and the means to break them, for the tests of the validation rules.
import type { ParseResult } from "@carehub/schemas";
import { buildAcknowledgement } from "../src/build/acknowledgement.ts";
import { buildCareCommunication } from "../src/build/care-communication.ts";
import { buildHomeCareObservation } from "../src/build/homecare-observation.ts";
import { buildHospitalNotification } from "../src/build/hospital-notification.ts";
import { buildLabResult } from "../src/build/lab-result.ts";
import { buildNotification } from "../src/build/notification.ts";
import { buildReferral } from "../src/build/referral.ts";
import { buildStatusUpdate } from "../src/build/status-update.ts";
import { buildTaskRequisition } from "../src/build/task-requisition.ts";
import type { BuiltMessage } from "../src/build/types.ts";
import type { FhirIssueCode } from "../src/codes.ts";
import { parseFhirMessage } from "../src/parse-fhir-message.ts";
import { serializeFhirXml } from "../src/xml/serialize-fhir-xml.ts";
import * as sample from "./sample-inputs.ts";

// biome-ignore lint/suspicious/noExplicitAny: tests reach into FHIR JSON freely to break it.
export type Json = any;

export const builders = {
  cc: () => buildCareCommunication(sample.careCommunication),
  hco: () => buildHomeCareObservation(sample.homeCareObservation),
  lab: () => buildLabResult(sample.labResult),
  hn: () => buildHospitalNotification(sample.hospitalNotification),
  ref: () => buildReferral(sample.referral),
  task: () => buildTaskRequisition(sample.taskRequisition),
  note: () => buildNotification(sample.notification),
  status: () => buildStatusUpdate(sample.statusUpdate),
  ack: () => buildAcknowledgement(sample.acknowledgement),
} satisfies Record<string, () => BuiltMessage>;

/** Index of the n-th entry of a resource type. */
export function at(bundle: Json, type: string, n = 0): number {
  const indexes = (bundle.entry as Json[]).flatMap((e, i) => (e.resource?.resourceType === type ? [i] : []));
  const i = indexes[n];
  if (i === undefined) throw new Error(`no ${type} #${n}`);
  return i;
}
export const res = (bundle: Json, type: string, n = 0) => bundle.entry[at(bundle, type, n)].resource;
export const path = (bundle: Json, type: string, n = 0) => `Bundle.entry[${at(bundle, type, n)}].resource`;
export const sender = (b: Json) =>
  b.entry.find((e: Json) => `Organization/${e.resource.id}` === b.entry[0].resource.sender.reference).resource;
export const senderPath = (b: Json) =>
  `Bundle.entry[${b.entry.indexOf(b.entry.find((e: Json) => e.resource === sender(b)))}].resource`;
export const receiverOf = (b: Json) =>
  b.entry.find((e: Json) => `Organization/${e.resource.id}` === b.entry[0].resource.destination[0].receiver.reference);
export const receiverPath = (b: Json) => `Bundle.entry[${b.entry.indexOf(receiverOf(b))}].resource`;

export interface Case {
  code: FhirIssueCode;
  name: string;
  /** Breaks a valid message; returns the issue path it expects. */
  run: () => { result: ParseResult; path: string };
}

/** Builds a valid message of `kind`, lets `breakIt` change it, parses it as FHIR JSON (or XML). */
export function broken(
  kind: keyof typeof builders,
  breakIt: (b: Json) => string,
  format: "fhir+json" | "fhir+xml" = "fhir+json",
): () => { result: ParseResult; path: string } {
  return () => {
    const bundle = structuredClone(builders[kind]().bundle) as Json;
    const expectedPath = breakIt(bundle);
    const text = format === "fhir+json" ? JSON.stringify(bundle) : serializeFhirXml(bundle);
    return { result: parseFhirMessage(text), path: expectedPath };
  };
}

export function raw(
  input: string | Uint8Array,
  expectedPath: string,
  options?: Parameters<typeof parseFhirMessage>[1],
) {
  return () => ({ result: parseFhirMessage(input, options), path: expectedPath });
}
