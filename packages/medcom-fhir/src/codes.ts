/**
 * Every issue code this package can report, with the MedCom acknowledgement issue-details code to send
 * back for it and a one-line meaning. docs/errors.md ("Formats: FHIR") lists each of them; a test keeps
 * the two in step.
 */
interface CodeInfo {
  /** Where the problem is, as the issue path usually reads. */
  readonly path: string;
  readonly meaning: string;
  /** From ValueSet medcom-acknowledgement-issue-details (case-sensitive, misspellings included). */
  readonly medcom: string | undefined;
}

function info(path: string, medcom: string | undefined, meaning: string): CodeInfo {
  return { path, medcom, meaning };
}

export const FHIR_ISSUE_CODES = {
  // Reading the bytes.
  CAREHUB_ERR_FHIR_TOO_LARGE: info("(input)", "MSG_BAD_FORMAT", "the message is larger than the size limit"),
  CAREHUB_ERR_FHIR_TOO_DEEP: info("(input)", "MSG_BAD_SYNTAX", "the message nests deeper than the depth limit"),
  CAREHUB_ERR_FHIR_TOO_MANY_ENTRIES: info(
    "Bundle.entry",
    "MSG_BAD_FORMAT",
    "the Bundle has more entries than the limit",
  ),
  CAREHUB_ERR_FHIR_ENCODING: info("(input)", "MSG_BAD_SYNTAX", "the bytes are not valid UTF-8"),
  CAREHUB_ERR_FHIR_FORMAT_UNKNOWN: info("(input)", "MSG_BAD_FORMAT", "the input is neither FHIR JSON nor FHIR XML"),
  CAREHUB_ERR_FHIR_JSON_SYNTAX: info("(input)", "MSG_BAD_SYNTAX", "the input is not well-formed JSON"),
  CAREHUB_ERR_FHIR_JSON_NOT_OBJECT: info("(input)", "MSG_JSON_OBJECT", "the JSON document is not an object"),
  CAREHUB_ERR_FHIR_FORBIDDEN_KEY: info(
    "(path of the key)",
    "MSG_BAD_SYNTAX",
    "a JSON key is __proto__, constructor or prototype (prototype-pollution guard)",
  ),
  CAREHUB_ERR_FHIR_XML_SYNTAX: info("(input)", "MSG_BAD_SYNTAX", "the input is not well-formed XML"),
  CAREHUB_ERR_FHIR_XML_DOCTYPE: info(
    "(input)",
    "MSG_BAD_SYNTAX",
    "the XML has a DOCTYPE or ENTITY declaration (rejected: no entity expansion, no external entities)",
  ),
  CAREHUB_ERR_FHIR_XML_NAMESPACE: info("(root element)", "MSG_WRONG_NS", "the XML root is not in the FHIR namespace"),
  CAREHUB_ERR_FHIR_XML_UNKNOWN_ELEMENT: info(
    "Bundle.entry[0].resource.x",
    "MSG_BAD_FORMAT",
    "an XML element or resource type is not part of FHIR R4, or repeats where FHIR allows one",
  ),
  CAREHUB_ERR_FHIR_XML_VALUE: info(
    "Bundle.entry[0].resource.x",
    "MSG_Datatype_Wrong",
    "an XML primitive value does not fit its FHIR type (e.g. a boolean that is not true/false)",
  ),
  // The Bundle and its MessageHeader.
  CAREHUB_ERR_FHIR_NOT_BUNDLE: info("resourceType", "MSG_RESOURCE_TYPE_MISMATCH", "the resource is not a Bundle"),
  CAREHUB_ERR_FHIR_BUNDLE_TYPE: info("Bundle.type", "MSG_BAD_FORMAT", "Bundle.type is not message"),
  CAREHUB_ERR_FHIR_BUNDLE_ID_MISSING: info("Bundle.id", "MSG_RESOURCE_ID_MISSING", "Bundle.id is missing"),
  CAREHUB_ERR_FHIR_TIMESTAMP_MISSING: info("Bundle.timestamp", "MSG_BAD_FORMAT", "Bundle.timestamp is missing"),
  CAREHUB_ERR_FHIR_ENTRY_INVALID: info(
    "Bundle.entry[3]",
    "MSG_BAD_FORMAT",
    "a Bundle entry has no resource, or its resource has no resourceType",
  ),
  CAREHUB_ERR_FHIR_FIRST_ENTRY_NOT_HEADER: info(
    "Bundle.entry[0].resource",
    "MSG_RESOURCE_TYPE_MISMATCH",
    "the first entry is not the MessageHeader (medcom-messaging-1)",
  ),
  CAREHUB_ERR_FHIR_ID_INVALID: info(
    "Bundle.entry[0].resource.id",
    "MSG_ID_INVALID",
    "an id is missing or breaks the FHIR id rule [A-Za-z0-9-.]{1,64}",
  ),
  CAREHUB_ERR_FHIR_DUPLICATE_RESOURCE: info(
    "Bundle.entry[4].resource.id",
    "MSG_DUPLICATE_ID",
    "warning only: two entries have the same resource type and id (FHIR and MedCom require unique fullUrls, not ids)",
  ),
  CAREHUB_ERR_FHIR_DATETIME_INVALID: info(
    "Bundle.timestamp",
    "MSG_DATE_FORMAT",
    "a dateTime/instant is not a valid FHIR date-time",
  ),
  CAREHUB_ERR_FHIR_TIMEZONE_MISSING: info(
    "Bundle.timestamp",
    "MSG_DATE_FORMAT",
    "a timestamp with a time of day has no time zone (Z or ±hh:mm)",
  ),
  CAREHUB_ERR_FHIR_EVENT_MISSING: info(
    "Bundle.entry[0].resource.eventCoding",
    "MSG_BAD_FORMAT",
    "MessageHeader.eventCoding is missing or lacks system or code",
  ),
  CAREHUB_ERR_FHIR_EVENT_UNKNOWN: info(
    "Bundle.entry[0].resource.eventCoding",
    "MSG_VALUESET_VALUE_UNKNOWN",
    "the event system and code are not a MedCom or carehub message type",
  ),
  CAREHUB_ERR_FHIR_DESTINATION_PRIMARY: info(
    "Bundle.entry[0].resource.destination",
    "MSG_Receiver_Identifier_MISSING",
    "the MessageHeader does not have exactly one primary destination",
  ),
  CAREHUB_ERR_FHIR_DESTINATION_CC: info(
    "Bundle.entry[0].resource.destination[1]",
    "MSG_BAD_FORMAT",
    "a cc destination is not allowed by the standard",
  ),
  CAREHUB_ERR_FHIR_DESTINATION_USE: info(
    "Bundle.entry[0].resource.destination[0].extension",
    "MSG_VALUESET_VALUE_UNKNOWN",
    "a destination has no destination-use extension, or an unknown use code",
  ),
  CAREHUB_ERR_FHIR_REFERENCE_UNRESOLVED: info(
    "Bundle.entry[0].resource.sender",
    "MSG_LOCAL_FAIL",
    "a reference that must resolve inside the Bundle does not (missing, or the target is absent or of the wrong type)",
  ),
  CAREHUB_ERR_FHIR_SENDER_ID_MISSING: info(
    "Bundle.entry[5].resource.identifier",
    "MSG_BAD_FORMAT",
    "the sender organization lacks its SOR id or its GLN",
  ),
  CAREHUB_ERR_FHIR_RECEIVER_ID_MISSING: info(
    "Bundle.entry[4].resource.identifier",
    "MSG_Receiver_Identifier_MISSING",
    "the receiver organization lacks its SOR id or its GLN",
  ),
  CAREHUB_ERR_FHIR_SOR_INVALID: info(
    "Bundle.entry[4].resource.identifier[1].value",
    "MSG_BAD_FORMAT",
    "a SOR id is not 11 to 18 digits",
  ),
  CAREHUB_ERR_FHIR_GLN_INVALID: info(
    "Bundle.entry[4].resource.identifier[0].value",
    "MSG_BAD_FORMAT",
    "a GLN is not 13 digits or fails the GS1 mod-10 check digit",
  ),
  CAREHUB_ERR_FHIR_FOCUS_MISSING: info(
    "Bundle.entry[0].resource.focus",
    "MSG_RESOURCE_REQUIRED",
    "the resource the message is about (its focus) is missing",
  ),
  CAREHUB_ERR_FHIR_DEFINITION_MISSING: info(
    "Bundle.entry[0].resource.definition",
    "MSG_BAD_FORMAT",
    "MessageHeader.definition is missing where the standard requires it (CareCommunication, HomeCareObservation)",
  ),
  CAREHUB_ERR_FHIR_DEFINITION_INVALID: info(
    "Bundle.entry[0].resource.definition",
    "MSG_BAD_FORMAT",
    "MessageHeader.definition is not the standard's MessageDefinition (CareCommunication |5.x, HomeCareObservation 1.x)",
  ),
  CAREHUB_ERR_FHIR_NARRATIVE_MISSING: info(
    "Bundle.entry[3].resource.text",
    "MSG_BAD_FORMAT",
    "a resource has no narrative (text.div), which MedCom says SHALL always be included",
  ),
  // Provenance.
  CAREHUB_ERR_FHIR_PROVENANCE_MISSING: info(
    "Bundle.entry",
    "MSG_RESOURCE_REQUIRED",
    "no Provenance targets this message's MessageHeader (medcom-messaging-2)",
  ),
  CAREHUB_ERR_FHIR_ACTIVITY_NOT_ALLOWED: info(
    "Bundle.entry[7].resource.activity",
    "MSG_VALUESET_VALUE_UNKNOWN",
    "the Provenance activity is missing or not allowed for this standard",
  ),
  CAREHUB_ERR_FHIR_ACTIVITY_UNKNOWN: info(
    "Bundle.entry[6].resource.activity",
    "MSG_CodeSystem_VALUE_UNKNOWN",
    "a historic Provenance has an activity code outside the MedCom activity CodeSystem",
  ),
  CAREHUB_ERR_FHIR_PROVENANCE_ENTITY: info(
    "Bundle.entry[7].resource.entity",
    "MSG_BAD_FORMAT",
    "a reply, forward, correction or retraction does not name the earlier message",
  ),
  // Patient.
  CAREHUB_ERR_FHIR_PATIENT_COUNT: info(
    "Bundle.entry",
    "MSG_RESOURCE_REQUIRED",
    "the message needs exactly one Patient",
  ),
  CAREHUB_ERR_FHIR_PATIENT_ID_MISSING: info(
    "Bundle.entry[1].resource.identifier",
    "MSG_BAD_FORMAT",
    "the Patient has no CPR or replacement-CPR identifier",
  ),
  CAREHUB_ERR_FHIR_CPR_INVALID: info(
    "Bundle.entry[1].resource.identifier[0].value",
    "MSG_BAD_FORMAT",
    "a CPR number is not 10 digits with a valid DDMMYY date (modulus 11 is not checked)",
  ),
  CAREHUB_ERR_FHIR_ECPR_INVALID: info(
    "Bundle.entry[1].resource.identifier[0].value",
    "MSG_BAD_FORMAT",
    "a replacement CPR (X-eCPR / D-eCPR) does not fit its pattern",
  ),
  // CareCommunication.
  CAREHUB_ERR_FHIR_CC_CATEGORY: info(
    "Bundle.entry[2].resource.category",
    "MSG_VALUESET_VALUE_UNKNOWN",
    "Communication.category is missing, repeated or not a CareCommunication category",
  ),
  CAREHUB_ERR_FHIR_CC_TOPIC_REQUIRED: info(
    "Bundle.entry[2].resource.topic",
    "MSG_BAD_FORMAT",
    "Communication.topic is required when the category is other (CC-6)",
  ),
  CAREHUB_ERR_FHIR_CC_PRIORITY_NOT_ALLOWED: info(
    "Bundle.entry[2].resource.priority",
    "MSG_BAD_FORMAT",
    "Communication.priority is allowed only with category regarding-referral, as routine or asap (CC-5)",
  ),
  CAREHUB_ERR_FHIR_CC_IDENTIFIER: info(
    "Bundle.entry[2].resource.identifier",
    "MSG_BAD_FORMAT",
    "Communication.identifier is not exactly one urn:uuid value",
  ),
  CAREHUB_ERR_FHIR_CC_PRACTITIONER_NAME: info(
    "Bundle.entry[5].resource.name",
    "MSG_BAD_FORMAT",
    "a Practitioner has no name (CC-4)",
  ),
  CAREHUB_ERR_FHIR_CC_ROLE_PRACTITIONER: info(
    "Bundle.entry[4].resource.practitioner",
    "MSG_BAD_FORMAT",
    "a PractitionerRole does not reference a Practitioner (CC-13)",
  ),
  CAREHUB_ERR_FHIR_CC_SENDER_ORGANIZATION: info(
    "Bundle.entry[2].resource.extension[0]",
    "MSG_BAD_FORMAT",
    "the specific sender (Communication sender extension) does not belong to the MessageHeader.sender organization (CC-11)",
  ),
  CAREHUB_ERR_FHIR_CC_RECIPIENT_ORGANIZATION: info(
    "Bundle.entry[2].resource.recipient[0]",
    "MSG_BAD_FORMAT",
    "the specific recipient (Communication.recipient) does not belong to the MessageHeader receiver organization (CC-12)",
  ),
  CAREHUB_ERR_FHIR_CC_ENCOUNTER: info(
    "Bundle.entry[2].resource.encounter",
    "MSG_BAD_FORMAT",
    "Communication.encounter does not reference the Encounter in the Bundle, or is set when the Bundle has none (CC-15)",
  ),
  CAREHUB_ERR_FHIR_CC_TEXT_SEGMENT_MISSING: info(
    "Bundle.entry[2].resource.payload",
    "MSG_BAD_FORMAT",
    "Communication.payload has no text segment (contentString)",
  ),
  CAREHUB_ERR_FHIR_CC_TEXT_SEGMENT_INCOMPLETE: info(
    "Bundle.entry[2].resource.payload[0].extension",
    "MSG_BAD_FORMAT",
    "a text segment lacks its date, identifier, author or author-contact extension",
  ),
  CAREHUB_ERR_FHIR_CC_ATTACHMENT_INCOMPLETE: info(
    "Bundle.entry[2].resource.payload[1]",
    "MSG_BAD_FORMAT",
    "an attachment segment lacks its title, date or identifier",
  ),
  CAREHUB_ERR_FHIR_CC_ATTACHMENT_TYPE: info(
    "Bundle.entry[2].resource.payload[1].contentAttachment.contentType",
    "MSG_VALUESET_VALUE_UNKNOWN",
    "an attached file has no content type, or one outside medcom-core-attachmentMimeTypes (PDF, GIF, JPEG, PNG, TIFF, BMP)",
  ),
  CAREHUB_ERR_FHIR_CC_PROFILE: info(
    "Bundle.entry[0].resource.meta.profile",
    "MSG_BAD_FORMAT",
    "the MessageHeader (CC-1) or a Provenance (CC-3) does not declare its CareCommunication profile",
  ),
  CAREHUB_ERR_FHIR_CC_AUTHOR_ROLE: info(
    "Bundle.entry[4].resource.code",
    "MSG_BAD_FORMAT",
    "a segment author's PractitionerRole has no role: a coded role or a text, not both (CC-7)",
  ),
  CAREHUB_ERR_FHIR_CC_AUTHOR_NAME: info(
    "Bundle.entry[4].resource.practitioner",
    "MSG_BAD_FORMAT",
    "a segment author's PractitionerRole does not lead to a Practitioner with a name (CC-8)",
  ),
  CAREHUB_ERR_FHIR_CC_EPISODE_OF_CARE: info(
    "Bundle.entry[7].resource.episodeOfCare",
    "MSG_BAD_FORMAT",
    "the Encounter the Communication references has no episodeOfCare identifier (CC-9)",
  ),
  // HospitalNotification.
  CAREHUB_ERR_FHIR_HN_EVENT_INCONSISTENT: info(
    "Bundle.entry[2].resource",
    "MSG_BAD_FORMAT",
    "warning only: Encounter class, Encounter status, Provenance activity and Patient.deceased do not make a notification the hub knows (a hub check, not a MedCom invariant)",
  ),
  CAREHUB_ERR_FHIR_HN_ENCOUNTER_CLASS: info(
    "Bundle.entry[2].resource.class",
    "MSG_VALUESET_VALUE_UNKNOWN",
    "Encounter.class is missing or not IMP/EMER",
  ),
  CAREHUB_ERR_FHIR_HN_ENCOUNTER_STATUS: info(
    "Bundle.entry[2].resource.status",
    "MSG_VALUESET_VALUE_UNKNOWN",
    "Encounter.status is missing or not in-progress/onleave/finished/entered-in-error",
  ),
  CAREHUB_ERR_FHIR_HN_CPR_REQUIRED: info(
    "Bundle.entry[1].resource.identifier",
    "MSG_BAD_FORMAT",
    "the Patient of a HospitalNotification has no official CPR number (HN-4)",
  ),
  CAREHUB_ERR_FHIR_HN_EPISODE_OF_CARE: info(
    "Bundle.entry[2].resource.episodeOfCare",
    "MSG_BAD_FORMAT",
    "Encounter.episodeOfCare has no identifier with a system and a value",
  ),
  CAREHUB_ERR_FHIR_HN_LEAVE_START: info(
    "Bundle.entry[2].resource.extension",
    "MSG_BAD_FORMAT",
    "an Encounter on leave has no leave-period start (HN-6)",
  ),
  // HomeCareObservation.
  CAREHUB_ERR_FHIR_HCO_REPORT_STATUS: info(
    "Bundle.entry[2].resource.status",
    "MSG_VALUESET_VALUE_UNKNOWN",
    "DiagnosticReport.status is not final",
  ),
  CAREHUB_ERR_FHIR_HCO_OBSERVATION_CODE: info(
    "Bundle.entry[8].resource.code",
    "MSG_VALUESET_VALUE_UNKNOWN",
    "no Observation.code coding is in the national analysis repertoire (NPU / MedCom observation codes)",
  ),
  CAREHUB_ERR_FHIR_HCO_VALUE_TOO_LONG: info(
    "Bundle.entry[8].resource.valueString",
    "MSG_Element_To_Long",
    "Observation.valueString is longer than 12 characters",
  ),
  CAREHUB_ERR_FHIR_HCO_RESULT_MISSING: info(
    "Bundle.entry[2].resource.result[0]",
    "MSG_LOCAL_FAIL",
    "a DiagnosticReport.result reference does not resolve to an Observation in the Bundle",
  ),
  CAREHUB_ERR_FHIR_HCO_PERFORMER: info(
    "Bundle.entry[2].resource.performer",
    "MSG_BAD_FORMAT",
    "DiagnosticReport.performer is not exactly two: the producer Organization and one PractitionerRole",
  ),
  CAREHUB_ERR_FHIR_HCO_PERFORMER_ROLE: info(
    "Bundle.entry[9].resource.code",
    "MSG_BAD_FORMAT",
    "the performing PractitionerRole has no role code (homecareReport-1)",
  ),
  CAREHUB_ERR_FHIR_HCO_PERFORMER_NAME: info(
    "Bundle.entry[10].resource.name",
    "MSG_BAD_FORMAT",
    "the performing practitioner has no name (homecareReport-2)",
  ),
  CAREHUB_ERR_FHIR_HCO_PERFORMER_PHONE: info(
    "Bundle.entry[10].resource.telecom",
    "MSG_BAD_FORMAT",
    "the performing practitioner has no phone number in Practitioner.telecom (homecareReport-3)",
  ),
  CAREHUB_ERR_FHIR_HCO_MEDIA_TYPE: info(
    "Bundle.entry[11].resource.content.contentType",
    "MSG_VALUESET_VALUE_UNKNOWN",
    "a Media attachment's content type is missing or not PDF, JPEG, PNG, TIFF or GIF",
  ),
  // carehub lab result (a practice's own results, translated for the lab databanks).
  CAREHUB_ERR_FHIR_LAB_REPORT_STATUS: info(
    "Bundle.entry[2].resource.status",
    "MSG_VALUESET_VALUE_UNKNOWN",
    "DiagnosticReport.status of a lab result is not final, partial, preliminary, corrected, amended or entered-in-error",
  ),
  CAREHUB_ERR_FHIR_LAB_RESULT_MISSING: info(
    "Bundle.entry[2].resource.result[0]",
    "MSG_LOCAL_FAIL",
    "a lab result's DiagnosticReport.result reference does not resolve to an Observation in the Bundle",
  ),
  CAREHUB_ERR_FHIR_LAB_ANALYSIS_CODE: info(
    "Bundle.entry[6].resource.code",
    "MSG_VALUESET_VALUE_UNKNOWN",
    "a lab result's Observation.code has no NPU coding (urn:oid:1.2.208.176.2.1)",
  ),
  CAREHUB_ERR_FHIR_LAB_RESULT_STATUS: info(
    "Bundle.entry[6].resource.status",
    "MSG_VALUESET_VALUE_UNKNOWN",
    "a lab result's Observation.status is not final, preliminary, corrected, amended or entered-in-error",
  ),
  CAREHUB_ERR_FHIR_LAB_VALUE_TOO_LONG: info(
    "Bundle.entry[6].resource.valueString",
    "MSG_Element_To_Long",
    "a lab result's Observation.valueString is longer than 12 characters (XRPT01 Value)",
  ),
  // Acknowledgement.
  CAREHUB_ERR_FHIR_ACK_RESPONSE_MISSING: info(
    "Bundle.entry[0].resource.response",
    "MSG_BAD_FORMAT",
    "MessageHeader.response, its identifier or its code is missing",
  ),
  CAREHUB_ERR_FHIR_ACK_RESPONSE_CODE: info(
    "Bundle.entry[0].resource.response.code",
    "MSG_VALUESET_VALUE_UNKNOWN",
    "response.code is not ok, transient-error or fatal-error",
  ),
  CAREHUB_ERR_FHIR_ACK_OUTCOME_MISSING: info(
    "Bundle.entry",
    "MSG_RESOURCE_REQUIRED",
    "a negative acknowledgement has no OperationOutcome (medcom-acknowledgement-1)",
  ),
  CAREHUB_ERR_FHIR_ACK_ISSUE_CODE: info(
    "Bundle.entry[5].resource.issue[0].details",
    "MSG_VALUESET_VALUE_UNKNOWN",
    "an OperationOutcome issue's details code is not in the MedCom acknowledgement issue-details ValueSet",
  ),
  // carehub profiles.
  CAREHUB_ERR_FHIR_REFERRAL_ID_MISSING: info(
    "Bundle.entry[2].resource.identifier",
    "MSG_BAD_FORMAT",
    "the referral ServiceRequest has no identifier value",
  ),
  CAREHUB_ERR_FHIR_REFERRAL_CATEGORY: info(
    "Bundle.entry[2].resource.category",
    "MSG_VALUESET_VALUE_UNKNOWN",
    "the referral category is missing or not a carehub referral category",
  ),
  CAREHUB_ERR_FHIR_TASK_ID_MISSING: info(
    "Bundle.entry[2].resource.identifier",
    "MSG_BAD_FORMAT",
    "the requisitioned Task has no identifier value",
  ),
  CAREHUB_ERR_FHIR_TASK_CODE_MISSING: info(
    "Bundle.entry[2].resource.code",
    "MSG_BAD_FORMAT",
    "the requisitioned Task has no code",
  ),
  CAREHUB_ERR_FHIR_NOTIFICATION_TOPIC_MISSING: info(
    "Bundle.entry[2].resource.topic",
    "MSG_BAD_FORMAT",
    "the notification Communication has no topic",
  ),
  CAREHUB_ERR_FHIR_STATUS_SUBJECT: info(
    "Bundle.entry[2].resource.identifier",
    "MSG_BAD_FORMAT",
    "the status update's ServiceRequest / Task / Appointment has no identifier value",
  ),
  CAREHUB_ERR_FHIR_STATUS_UNKNOWN: info(
    "Bundle.entry[2].resource.extension",
    "MSG_VALUESET_VALUE_UNKNOWN",
    "the business status is missing or not a carehub business status",
  ),
  CAREHUB_ERR_FHIR_STATUS_OCCURRED_AT: info(
    "Bundle.entry[2].resource.extension",
    "MSG_BAD_FORMAT",
    "the status change has no time it occurred",
  ),
  CAREHUB_ERR_FHIR_STATUS_APPOINTMENT_START: info(
    "Bundle.entry[2].resource.start",
    "MSG_BAD_FORMAT",
    "a booked or rescheduled appointment has no start",
  ),
  // Thrown (not reported) by serializeFhirXml: the JSON given has an element FHIR R4 does not define.
  CAREHUB_ERR_FHIR_XML_SERIALIZE: info(
    "(resource)",
    undefined,
    "serializeFhirXml was given JSON with an element FHIR R4 does not define (a builder bug)",
  ),
  // Never expected: a bug caught so that the parser still returns a ParseResult.
  CAREHUB_ERR_FHIR_INTERNAL: info(
    "(input)",
    undefined,
    "the parser failed unexpectedly (a carehub bug; please report)",
  ),
} as const satisfies Record<string, CodeInfo>;

export type FhirIssueCode = keyof typeof FHIR_ISSUE_CODES;
