export { buildAcknowledgement } from "./build/acknowledgement.ts";
export { buildCareCommunication } from "./build/care-communication.ts";
export { buildEmptyMessage } from "./build/empty-message.ts";
export { buildHomeCareObservation } from "./build/homecare-observation.ts";
export { buildHospitalNotification } from "./build/hospital-notification.ts";
export { buildLabResult } from "./build/lab-result.ts";
export { buildNotification } from "./build/notification.ts";
export { buildReferral } from "./build/referral.ts";
export { buildStatusUpdate } from "./build/status-update.ts";
export { buildTaskRequisition } from "./build/task-requisition.ts";
export type {
  AcknowledgementInput,
  AcknowledgementIssueSeverity,
  BuildIds,
  BuiltMessage,
  CareCommunicationInput,
  HomeCareObservationInput,
  HomeCareObservationValue,
  HospitalNotificationActivity,
  HospitalNotificationInput,
  LabResultInput,
  LabResultObservation,
  MessageInput,
  MessageLink,
  MessagingOrganization,
  NotificationInput,
  PatientInput,
  PractitionerInput,
  ReferralInput,
  StatusSubject,
  StatusUpdateInput,
  TaskRequisitionInput,
} from "./build/types.ts";
export { FHIR_ISSUE_CODES, type FhirIssueCode } from "./codes.ts";
export { FHIR_LAB_RESULT_TYPE } from "./content/lab-result.ts";
export type { FhirBundle, FhirResource } from "./fhir-json.ts";
export { DEFAULT_LIMITS, type ParseLimits } from "./limits.ts";
export { decodeFhirText, type ParseFhirOptions, parseFhirMessage } from "./parse-fhir-message.ts";
export { type FhirMessageIdentity, readFhirMessageIdentity } from "./read/read-identity.ts";
export { fhirXmlToJson, type XmlToJsonResult } from "./xml/fhir-xml-to-json.ts";
export { FhirXmlSerializeError, serializeFhirXml } from "./xml/serialize-fhir-xml.ts";
