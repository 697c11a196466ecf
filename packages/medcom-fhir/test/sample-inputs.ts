// Valid builder inputs for every kind, shared by the tests, the profile example script and the benchmark.
// The parties and the CPR number are MedCom's published test data.
import type {
  AcknowledgementInput,
  CareCommunicationInput,
  HomeCareObservationInput,
  HospitalNotificationInput,
  LabResultInput,
  MessageInput,
  MessagingOrganization,
  NotificationInput,
  ReferralInput,
  StatusUpdateInput,
  TaskRequisitionInput,
} from "../src/index.ts";

export const HOSPITAL: MessagingOrganization = {
  sor: "265161000016000",
  gln: "5790000209354",
  name: "Hjerteafdelingen, Herlev og Gentofte Hospital",
};
export const MUNICIPALITY: MessagingOrganization = {
  sor: "953741000016009",
  gln: "5790001348120",
  name: "Plejecenter Herlev",
};
export const PRACTICE: MessagingOrganization = {
  sor: "1144561000016002",
  gln: "5790000123117",
  name: "Lægerne i Byen",
  ydernummer: "012345",
};
export const TEST_CPR = "2509479989";
export const NOW = "2026-03-02T10:15:00+01:00";

export function base(n: number, sender = HOSPITAL, receiver = MUNICIPALITY): MessageInput {
  const hex = n.toString(16).padStart(12, "0");
  return {
    ids: { bundleId: `b0000000-0000-4000-8000-${hex}`, messageHeaderId: `a0000000-0000-4000-8000-${hex}` },
    now: NOW,
    sender,
    receiver,
  };
}

const patient = { identifier: { system: "cpr" as const, value: TEST_CPR }, family: "Elmer", given: ["Bruno"] };

export const careCommunication: CareCommunicationInput = {
  ...base(1),
  patient,
  threadId: "urn:uuid:59aac95e-ca57-4b04-b075-9880b7e6441c",
  category: "carecoordination",
  text: "Vi har et spørgsmål om udskrivelsen.",
  segmentId: "urn:uuid:1813b23d-195e-4b28-8221-24247035bf08",
  author: { family: "Burns", given: ["Michael"], role: "sygeplejerske", phone: "38683868" },
};

export const homeCareObservation: HomeCareObservationInput = {
  ...base(2, MUNICIPALITY, PRACTICE),
  patient,
  issued: "2026-03-02T10:00:00+01:00",
  conclusion: "Borger med feber.",
  consentGiven: true,
  observations: [
    {
      system: "urn:oid:1.2.208.176.2.1",
      code: "NPU08676",
      effective: "2026-03-02T09:40:00+01:00",
      value: { quantity: { value: 38.7, unit: "°C" } },
    },
    {
      system: "urn:oid:1.2.208.176.2.1",
      code: "NPU21578",
      effective: "2026-03-02T09:45:00+01:00",
      value: { string: "Negative" },
    },
  ],
  performer: { family: "Hansen", given: ["Anne"], role: "sygeplejerske", phone: "44556677" },
};

export const hospitalNotification: HospitalNotificationInput = {
  ...base(3),
  patient,
  activity: "admit-inpatient",
  encounter: {
    class: "IMP",
    status: "in-progress",
    episodeOfCareId: "bd481c38-a921-11ed-afa1-0242ac120002",
    start: "2026-03-02T09:00:00+01:00",
  },
};

export const emptyMessage: MessageInput = base(4);

export const referral: ReferralInput = {
  ...base(5, PRACTICE, HOSPITAL),
  patient,
  referral: {
    id: "ref-2026-0001",
    category: "package-kol",
    priority: "routine",
    reasonCode: "DJ449",
    description: "KOL-pakkeforløb",
    authoredOn: "2026-03-02",
  },
};

export const taskRequisition: TaskRequisitionInput = {
  ...base(6, PRACTICE, MUNICIPALITY),
  patient,
  task: { id: "task-2026-0001", code: "wound-care", description: "Sårpleje to gange ugentligt", dueDate: "2026-03-09" },
};

export const notification: NotificationInput = {
  ...base(7, HOSPITAL, PRACTICE),
  patient,
  topic: "lab-results-available",
  text: "Nye svar ligger klar.",
  // Not worth delivering after the day is over.
  expiresAt: "2026-03-02T23:59:59+01:00",
};

export const statusUpdate: StatusUpdateInput = {
  ...base(8, HOSPITAL, PRACTICE),
  patient,
  subject: { type: "appointment", id: "appt-77" },
  basedOn: { type: "referral", id: "ref-2026-0001" },
  status: "booked",
  occurredAt: "2026-03-02T10:10:00+01:00",
  appointment: { start: "2026-03-20T08:30:00+01:00", end: "2026-03-20T09:00:00+01:00" },
};

export const acknowledgement: AcknowledgementInput = {
  original: {
    messageId: "a0000000-0000-4000-8000-000000000001",
    sender: HOSPITAL,
    receivers: [MUNICIPALITY],
    sourceEndpointUrl: "https://sor2.sum.dsdn.dk/#id=265161000016000",
  },
  acknowledger: MUNICIPALITY,
  code: "fatal-error",
  issues: [{ code: "MSG_VALUESET_VALUE_UNKNOWN", text: "Communication.category is not a CareCommunication category" }],
  ids: { bundleId: "b0000000-0000-4000-8000-0000000000a1", messageHeaderId: "a0000000-0000-4000-8000-0000000000a1" },
  now: NOW,
};

/** A practice's own CRP and HbA1c, measured in the clinic (carehub lab-result profile). */
export const labResult: LabResultInput = {
  ...base(12, PRACTICE, MUNICIPALITY),
  patient,
  issued: "2026-03-02T10:05:00+01:00",
  status: "final",
  consentGiven: true,
  specimen: { identifier: "P-2026-000417", collected: "2026-03-02T09:30:00+01:00" },
  observations: [
    {
      npu: "NPU19748",
      display: "P-C-reaktivt protein;massek.",
      status: "final",
      effective: "2026-03-02T09:35:00+01:00",
      value: { quantity: { value: 48, unit: "mg/l", code: "mg/L" } },
      referenceRange: { high: 8, unit: "mg/l" },
      interpretation: "H",
    },
    {
      npu: "NPU27300",
      display: "Hb(B)-Hæmoglobin A1c(IFCC);stofr.",
      status: "final",
      effective: "2026-03-02T09:40:00+01:00",
      value: { quantity: { value: 41, unit: "mmol/mol", comparator: "<" } },
      note: "Målt på praksisudstyr",
    },
  ],
};
