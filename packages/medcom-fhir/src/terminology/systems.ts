/** Code systems, identifier systems and extension URLs, spelled once. */
export const SYSTEMS = {
  eventCodes: "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-eventCodes",
  carehubEventCodes: "https://carehub.dev/fhir/CodeSystem/carehub-message-events",
  activityCodes: "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-activityCodes",
  destinationUse: "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-destinationUse",
  careCommunicationCategory: "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-careCommunication-categoryCodes",
  confidentiality: "http://terminology.hl7.org/CodeSystem/v3-Confidentiality",
  actCode: "http://terminology.hl7.org/CodeSystem/v3-ActCode",
  responseCode: "http://hl7.org/fhir/response-code",
  operationOutcome: "http://terminology.hl7.org/CodeSystem/operation-outcome",
  acknowledgementErrorCodes: "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-acknowledgement-error-codes",
  diagnosticReportCodes: "http://medcomfhir.dk/ig/terminology/CodeSystem/MedComDiagnosticReportCodes",
  interpretation: "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-core-interpretation-codes",
  npu: "urn:oid:1.2.208.176.2.1",
  medcomObservation: "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-observation-codes",
  practitionerRole: "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-core-PractitionerRolesSKSadministrativ",
  ucum: "http://unitsofmeasure.org",
  sksDiagnosis: "urn:oid:1.2.208.176.2.4",
  carehubReferralCategory: "https://carehub.dev/fhir/CodeSystem/carehub-referral-category",
  carehubTaskCode: "https://carehub.dev/fhir/CodeSystem/carehub-task-code",
  carehubBusinessStatus: "https://carehub.dev/fhir/CodeSystem/carehub-business-status",
  carehubNotificationTopic: "https://carehub.dev/fhir/CodeSystem/carehub-notification-topic",
  carehubReferralId: "https://carehub.dev/fhir/NamingSystem/referral-id",
  carehubTaskId: "https://carehub.dev/fhir/NamingSystem/task-id",
  carehubAppointmentId: "https://carehub.dev/fhir/NamingSystem/appointment-id",
} as const;

export const IDENTIFIER_SYSTEMS = {
  sor: "urn:oid:1.2.208.176.1.1",
  glnHttps: "https://www.gs1.org/gln",
  glnHttp: "http://www.gs1.org/gln",
  ydernummer: "urn:oid:1.2.208.176.1.4",
  cpr: "urn:oid:1.2.208.176.1.2",
  xEcpr: "urn:oid:1.2.208.176.1.6.1.1",
  dEcpr: "urn:oid:1.2.208.176.1.6.1.3",
} as const;

/** Regional D-eCPR sub-OIDs (Sjælland, Nordjylland, Midtjylland, Syddanmark, Hovedstaden). */
export const D_ECPR_REGIONAL_SYSTEMS: readonly string[] = [177, 179, 181, 183, 187].map(
  (n) => `${IDENTIFIER_SYSTEMS.dEcpr}.${n}`,
);

export const EXTENSIONS = {
  destinationUse: "http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-destinationUseExtension",
  leavePeriod:
    "http://medcomfhir.dk/ig/hospitalnotification/StructureDefinition/medcom-hospitalnotifiation-leave-period-extension",
  payloadDate: "http://medcomfhir.dk/ig/core/StructureDefinition/medcom-core-datetime-extension",
  payloadIdentifier: "http://medcomfhir.dk/ig/core/StructureDefinition/medcom-core-identifier-extension",
  payloadAuthor: "http://medcomfhir.dk/ig/core/StructureDefinition/medcom-core-practitioner-extension",
  payloadContact: "http://medcomfhir.dk/ig/core/StructureDefinition/medcom-core-contact-extension",
  /** CareCommunication's specific sender (a PractitionerRole or CareTeam). */
  careCommunicationSender: "http://medcomfhir.dk/ig/core/StructureDefinition/medcom-core-sender-extension",
  statusChange: "https://carehub.dev/fhir/StructureDefinition/carehub-status-change",
  basedOnTask: "https://carehub.dev/fhir/StructureDefinition/carehub-based-on-task",
  /** On a notification's Communication: valueDateTime after which it is not delivered any more. */
  notificationExpires: "https://carehub.dev/fhir/StructureDefinition/carehub-notification-expires",
} as const;

export const SOR_ENDPOINT_PREFIX = "https://sor2.sum.dsdn.dk/#id=";
