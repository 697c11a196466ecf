import {
  buildCareCommunication,
  buildHomeCareObservation,
  buildHospitalNotification,
  buildNotification,
  buildReferral,
  buildStatusUpdate,
  buildTaskRequisition,
  type CareCommunicationInput,
  type FhirBundle,
  type FhirResource,
  type HomeCareObservationInput,
  type HospitalNotificationInput,
  type MessagingOrganization,
  type NotificationInput,
  type PatientInput,
  type ReferralInput,
  type StatusUpdateInput,
  serializeFhirXml,
  type TaskRequisitionInput,
} from "@carehub/medcom-fhir";
import { buildLabReport, encodeXmlText, type LabReportInput } from "@carehub/medcom-xml";
import { CONTENT_TYPES, type MessageKind } from "@carehub/schemas";
import type { SimEndpoint, SimPatient } from "./world.ts";

/**
 * Turns what a simulated endpoint wants to say into wire bytes, through carehub's own MedCom builders.
 * Pure: ids and times come in, bytes go out.
 */

export interface BuiltSimMessage {
  kind: MessageKind;
  messageId: string;
  envelopeId: string;
  contentType: string;
  body: string | Uint8Array;
  /** The Bundle (FHIR only), for threads that carry earlier Provenance along. */
  bundle?: FhirBundle;
}

export type FhirWireFormat = "fhir+json" | "fhir+xml";

export function organization(endpoint: SimEndpoint): MessagingOrganization {
  return {
    sor: endpoint.sor,
    gln: endpoint.gln,
    name: endpoint.name,
    ...(endpoint.ydernummer === undefined ? {} : { ydernummer: endpoint.ydernummer }),
  };
}

export function patientInput(patient: SimPatient): PatientInput {
  return { identifier: { system: "cpr", value: patient.cpr }, family: patient.family, given: [patient.given] };
}

/** The Provenance resources of a built Bundle: the history a follow-up in the same thread carries along. */
export function provenanceOf(bundle: FhirBundle | undefined): FhirResource[] {
  const entries = (bundle as { entry?: { resource?: FhirResource }[] } | undefined)?.entry ?? [];
  return entries
    .map((entry) => entry.resource)
    .filter((resource): resource is FhirResource => resource?.resourceType === "Provenance");
}

function fhir(
  kind: MessageKind,
  input: { ids: { bundleId: string; messageHeaderId: string } },
  built: { bundle: FhirBundle; json: string },
  format: FhirWireFormat,
): BuiltSimMessage {
  const common = { kind, messageId: input.ids.messageHeaderId, envelopeId: input.ids.bundleId, bundle: built.bundle };
  return format === "fhir+xml"
    ? { ...common, contentType: CONTENT_TYPES["fhir+xml"], body: serializeFhirXml(built.bundle) }
    : { ...common, contentType: CONTENT_TYPES["fhir+json"], body: built.json };
}

export const makeReferral = (input: ReferralInput, format: FhirWireFormat) =>
  fhir("referral", input, buildReferral(input), format);
export const makeTaskRequisition = (input: TaskRequisitionInput, format: FhirWireFormat) =>
  fhir("task-requisition", input, buildTaskRequisition(input), format);
export const makeCareCommunication = (input: CareCommunicationInput, format: FhirWireFormat) =>
  fhir("care-communication", input, buildCareCommunication(input), format);
export const makeHomeCareObservation = (input: HomeCareObservationInput, format: FhirWireFormat) =>
  fhir("homecare-observation", input, buildHomeCareObservation(input), format);
export const makeHospitalNotification = (input: HospitalNotificationInput, format: FhirWireFormat) =>
  fhir("hospital-notification", input, buildHospitalNotification(input), format);
export const makeNotification = (input: NotificationInput, format: FhirWireFormat) =>
  fhir("notification", input, buildNotification(input), format);
export const makeStatusUpdate = (input: StatusUpdateInput, format: FhirWireFormat) =>
  fhir("status-update", input, buildStatusUpdate(input), format);

/** An XRPT01 lab report in windows-1252, as MedCom letters travel. */
export function makeLabReport(input: LabReportInput): BuiltSimMessage {
  return {
    kind: "lab-result",
    messageId: input.ids.letterId,
    envelopeId: input.ids.envelopeId,
    contentType: CONTENT_TYPES.oioxml,
    body: encodeXmlText(buildLabReport(input)),
  };
}
