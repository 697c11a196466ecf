// fast-check generators of valid builder inputs, for the round-trip property tests.
import { BusinessStatus, glnCheckDigit, type Party, type PatientIdentifier } from "@carehub/schemas";
import fc from "fast-check";
import type {
  AcknowledgementInput,
  BuildIds,
  CareCommunicationInput,
  HomeCareObservationInput,
  HospitalNotificationActivity,
  HospitalNotificationInput,
  MessageInput,
  MessageLink,
  MessagingOrganization,
  NotificationInput,
  PatientInput,
  ReferralInput,
  StatusUpdateInput,
  TaskRequisitionInput,
} from "../src/index.ts";

export const gln = fc.stringMatching(/^579[0-9]{9}$/).map((d) => d + glnCheckDigit(d));
export const sor = fc.stringMatching(/^[1-9][0-9]{10,17}$/);
/** FHIR-safe text: letters (Danish too), digits, punctuation XML must escape, inner line breaks. */
export const text = fc
  .stringMatching(/^[A-Za-zÆØÅæøå0-9][A-Za-zÆØÅæøå0-9 .,;:!?'"<>&()\n/-]{0,40}[A-Za-zÆØÅæøå0-9.]$/)
  .filter((s) => s.trim() === s);
const name = fc.option(text, { nil: undefined });

export const organization: fc.Arbitrary<MessagingOrganization> = fc
  .record({ sor, gln, name, ydernummer: fc.option(fc.stringMatching(/^[0-9]{6}$/), { nil: undefined }) })
  .map((o) => {
    const out: MessagingOrganization = { sor: o.sor, gln: o.gln };
    if (o.name !== undefined) out.name = o.name;
    if (o.ydernummer !== undefined) out.ydernummer = o.ydernummer;
    return out;
  });

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const ddmmyy = fc
  .record({
    month: fc.integer({ min: 1, max: 12 }),
    day: fc.integer({ min: 1, max: 31 }),
    yy: fc.integer({ min: 0, max: 99 }),
  })
  .map(({ month, day, yy }) => {
    // 29 February only in a YY divisible by 4: the rule of isValidCprDate.
    const maxDay = month === 2 && yy % 4 !== 0 ? 28 : (DAYS_IN_MONTH[month - 1] ?? 28);
    const d = Math.min(day, maxDay);
    return `${String(d).padStart(2, "0")}${String(month).padStart(2, "0")}${String(yy).padStart(2, "0")}`;
  });

export const cpr: fc.Arbitrary<PatientIdentifier> = fc
  .tuple(ddmmyy, fc.stringMatching(/^[0-9]{4}$/))
  .map(([date, rest]) => ({ system: "cpr", value: date + rest }));
const xEcpr: fc.Arbitrary<PatientIdentifier> = fc
  .tuple(ddmmyy, fc.stringMatching(/^[17][A-Z]{2}[0-9]$/))
  .map(([date, rest]) => ({ system: "x-ecpr", value: date + rest }));
const dEcpr: fc.Arbitrary<PatientIdentifier> = fc
  .tuple(ddmmyy, fc.stringMatching(/^[056][A-Z]{2}[0-9]$/))
  .map(([date, rest]) => ({ system: "d-ecpr", value: date + rest }));

export function patient(
  identifier: fc.Arbitrary<PatientIdentifier> = fc.oneof(cpr, xEcpr, dEcpr),
): fc.Arbitrary<PatientInput> {
  return fc
    .record({ identifier, family: name })
    .map((p) => (p.family === undefined ? { identifier: p.identifier } : p));
}

/** An instant with a zone: Z or a Danish offset. */
export const instant = fc
  .tuple(fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 0, 1) }), fc.constantFrom("Z", "+01:00", "+02:00"))
  .map(([ms, zone]) => {
    const iso = new Date(ms).toISOString().slice(0, 19);
    return `${iso}${zone}`;
  });

export const fhirId = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9.-]{0,40}$/);
const ids: fc.Arbitrary<BuildIds> = fc.record({ bundleId: fc.uuid(), messageHeaderId: fc.uuid() });

export function link(types: Array<MessageLink["type"]>): fc.Arbitrary<MessageLink | undefined> {
  if (types.length === 0) return fc.constant(undefined);
  const to = fc.oneof(
    fhirId.map((messageId) => ({ messageId })),
    fc.record({ messageId: fc.stringMatching(/^[A-Z0-9]{6,20}$/), senderGln: gln }),
  );
  return fc.option(fc.record({ type: fc.constantFrom(...types), to }), { nil: undefined });
}

function base(types: Array<MessageLink["type"]>): fc.Arbitrary<MessageInput> {
  return fc.record({ ids, now: instant, sender: organization, receiver: organization, link: link(types) }).map((b) => {
    const out: MessageInput = { ids: b.ids, now: b.now, sender: b.sender, receiver: b.receiver };
    if (b.link !== undefined) out.link = b.link;
    return out;
  });
}

const CC_CATEGORIES = ["carecoordination", "discharge", "nursing", "medicine", "regarding-referral", "other"];

export const careCommunication: fc.Arbitrary<CareCommunicationInput> = fc
  .record({
    base: base(["reply", "forward"]),
    patient: patient(),
    threadId: fc.uuid().map((u) => `urn:uuid:${u}`),
    category: fc.constantFrom(...CC_CATEGORIES),
    topic: fc.option(text, { nil: undefined }),
    priority: fc.option(fc.constantFrom("routine" as const, "asap" as const), { nil: undefined }),
    text,
    segmentId: fc.uuid().map((u) => `urn:uuid:${u}`),
    family: text,
    phone: fc.stringMatching(/^\+?[0-9]{8,10}$/),
  })
  .map((r) => {
    const input: CareCommunicationInput = {
      ...r.base,
      patient: r.patient,
      threadId: r.threadId,
      category: r.category,
      text: r.text,
      segmentId: r.segmentId,
      author: { family: r.family, role: "sygeplejerske", phone: r.phone },
    };
    // The CareCommunication rules: topic when "other", priority only with "regarding-referral".
    if (r.topic !== undefined || r.category === "other") input.topic = r.topic ?? "Emne";
    if (r.priority !== undefined && r.category === "regarding-referral") input.priority = r.priority;
    return input;
  });

const NPU = ["NPU08676", "NPU21692", "NPU19748", "NPU22089", "NPU02319", "DNK05472"];
const MCS = ["MCS88122", "MCS88125", "MCS88126"];

const observation = fc.record({
  code: fc.oneof(
    fc.constantFrom(...NPU).map((code) => ({ system: "urn:oid:1.2.208.176.2.1", code })),
    fc.constantFrom(...MCS).map((code) => ({
      system: "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-observation-codes",
      code,
    })),
  ),
  effective: instant,
  value: fc.oneof(
    fc.record({
      quantity: fc.record({
        value: fc.oneof(
          fc.integer({ min: -100, max: 1000 }),
          fc.double({ min: 0, max: 1000, noNaN: true }).map((v) => Math.round(v * 100) / 100),
        ),
        unit: fc.constantFrom("mmol/L", "°C", "1/min", "mmHg", "10^9/L"),
      }),
    }),
    fc.record({ string: fc.stringMatching(/^[A-Za-z0-9<>+][A-Za-z0-9 <>+.-]{0,10}$/).filter((s) => s.trim() === s) }),
  ),
});

export const homeCareObservation: fc.Arbitrary<HomeCareObservationInput> = fc
  .record({
    base: base(["reply", "modified", "retract"]),
    patient: patient(),
    issued: instant,
    consentGiven: fc.boolean(),
    observations: fc.array(observation, { minLength: 1, maxLength: 6 }),
    family: text,
  })
  .map((r) => ({
    ...r.base,
    patient: r.patient,
    issued: r.issued,
    consentGiven: r.consentGiven,
    observations: r.observations.map((o) => ({ ...o.code, effective: o.effective, value: o.value })),
    performer: { family: r.family, role: "sygeplejerske", phone: "12345678" },
  }));

/** The HospitalNotification table: activity → Encounter class and status. */
export const HN_EVENTS: ReadonlyArray<
  [HospitalNotificationActivity, "IMP" | "EMER", HospitalNotificationInput["encounter"]["status"]]
> = [
  ["admit-emergency", "EMER", "in-progress"],
  ["revise-admit-emergency", "EMER", "in-progress"],
  ["cancel-admit-emergency", "EMER", "entered-in-error"],
  ["admit-inpatient", "IMP", "in-progress"],
  ["revise-admit-inpatient", "IMP", "in-progress"],
  ["cancel-admit-inpatient", "IMP", "entered-in-error"],
  ["start-leave-inpatient", "IMP", "onleave"],
  ["revise-start-leave-inpatient", "IMP", "onleave"],
  ["cancel-start-leave-inpatient", "IMP", "in-progress"],
  ["end-leave-inpatient", "IMP", "in-progress"],
  ["revise-end-leave-inpatient", "IMP", "in-progress"],
  ["cancel-end-leave-inpatient", "IMP", "onleave"],
  ["discharge-emergency-home", "EMER", "finished"],
  ["discharge-inpatient-home", "IMP", "finished"],
  ["revise-discharge-emergency-home", "EMER", "finished"],
  ["revise-discharge-inpatient-home", "IMP", "finished"],
  ["cancel-discharge-emergency-home", "EMER", "in-progress"],
  ["cancel-discharge-inpatient-home", "IMP", "in-progress"],
];

export const hospitalNotification: fc.Arbitrary<HospitalNotificationInput> = fc
  .record({
    base: base([]),
    patient: patient(cpr),
    event: fc.constantFrom(...HN_EVENTS),
    died: fc.boolean(),
    earlier: fhirId,
    episode: fc.uuid(),
    start: instant,
  })
  .map((r) => {
    const [activity, encounterClass, status] = r.event;
    // A death keeps the current activity and finishes the encounter (not for cancellations).
    const died = r.died && !activity.startsWith("cancel-");
    const encounter: HospitalNotificationInput["encounter"] = {
      class: encounterClass,
      status: died ? "finished" : status,
      episodeOfCareId: r.episode,
      start: r.start,
    };
    if (status === "onleave") encounter.leaveStart = r.start;
    const input: HospitalNotificationInput = {
      ...r.base,
      patient: { ...r.patient, deceased: died },
      activity,
      encounter,
    };
    if (!activity.startsWith("admit-")) input.link = { type: "reply", to: { messageId: r.earlier } };
    return input;
  });

export const emptyMessage: fc.Arbitrary<MessageInput> = base(["reply", "forward", "modified", "retract"]);

export const referral: fc.Arbitrary<ReferralInput> = fc
  .record({
    base: base(["modified", "retract", "forward"]),
    patient: patient(),
    id: fhirId,
    category: fc.constantFrom(
      "hospital",
      "municipal",
      "package-kol",
      "package-low-back-pain",
      "physiotherapy",
      "other" as const,
    ),
    priority: fc.option(fc.constantFrom("routine" as const, "urgent" as const, "asap" as const, "stat" as const), {
      nil: undefined,
    }),
    reasonCode: fc.option(fc.stringMatching(/^D[A-Z][0-9]{2,4}$/), { nil: undefined }),
  })
  .map((r) => {
    const referralPart: ReferralInput["referral"] = { id: r.id, category: r.category };
    if (r.priority !== undefined) referralPart.priority = r.priority;
    if (r.reasonCode !== undefined) referralPart.reasonCode = r.reasonCode;
    return { ...r.base, patient: r.patient, referral: referralPart };
  });

export const taskRequisition: fc.Arbitrary<TaskRequisitionInput> = fc
  .record({
    base: base(["modified", "retract"]),
    patient: patient(),
    id: fhirId,
    code: fc.stringMatching(/^[a-z][a-z-]{2,20}$/),
    description: fc.option(text, { nil: undefined }),
    dueDate: fc.option(
      instant.map((i) => i.slice(0, 10)),
      { nil: undefined },
    ),
  })
  .map((r) => {
    const task: TaskRequisitionInput["task"] = { id: r.id, code: r.code };
    if (r.description !== undefined) task.description = r.description;
    if (r.dueDate !== undefined) task.dueDate = r.dueDate;
    return { ...r.base, patient: r.patient, task };
  });

export const notification: fc.Arbitrary<NotificationInput> = fc
  .record({
    base: base(["modified", "retract"]),
    patient: fc.option(patient(), { nil: undefined }),
    topic: text,
    expiresAt: fc.option(instant, { nil: undefined }),
  })
  .map((r) => {
    const input: NotificationInput = { ...r.base, topic: r.topic };
    if (r.patient !== undefined) input.patient = r.patient;
    if (r.expiresAt !== undefined) input.expiresAt = r.expiresAt;
    return input;
  });

export const statusUpdate: fc.Arbitrary<StatusUpdateInput> = fc
  .record({
    base: base(["reply", "modified"]),
    patient: fc.option(patient(), { nil: undefined }),
    type: fc.constantFrom("referral" as const, "task" as const, "appointment" as const),
    id: fhirId,
    basedOn: fc.option(fc.record({ type: fc.constantFrom("referral" as const, "task" as const), id: fhirId }), {
      nil: undefined,
    }),
    status: fc.constantFrom(...BusinessStatus.options),
    occurredAt: instant,
    start: instant,
    end: fc.option(instant, { nil: undefined }),
    reason: fc.option(text, { nil: undefined }),
  })
  .map((r) => {
    const input: StatusUpdateInput = {
      ...r.base,
      subject: { type: r.type, id: r.id },
      status: r.status,
      occurredAt: r.occurredAt,
    };
    if (r.patient !== undefined) input.patient = r.patient;
    if (r.reason !== undefined) input.reason = r.reason;
    if (r.type === "appointment") {
      input.appointment = r.end === undefined ? { start: r.start } : { start: r.start, end: r.end };
      if (r.basedOn !== undefined) input.basedOn = r.basedOn;
    }
    return input;
  });

const ACK_CODES = [
  "MSG_BAD_FORMAT",
  "MSG_DUPLICATE_ID",
  "MSG_VALUESET_VALUE_UNKNOWN",
  "MSG_Mailbox_Out_Of_Operation",
  "MSG_Element_To_Long",
];

const party: fc.Arbitrary<Party> = organization.map((o) => o);

export const acknowledgement: fc.Arbitrary<AcknowledgementInput> = fc
  .record({
    ids,
    now: instant,
    messageId: fhirId,
    sender: party,
    receiver: party,
    code: fc.constantFrom("ok" as const, "transient-error" as const, "fatal-error" as const),
    issues: fc.array(fc.record({ code: fc.constantFrom(...ACK_CODES), text }), { maxLength: 3 }),
  })
  .map((r) => ({
    original: { messageId: r.messageId, sender: r.sender, receivers: [r.receiver] },
    acknowledger: r.receiver,
    // A negative acknowledgement always says why.
    code: r.code,
    issues: r.code === "ok" || r.issues.length > 0 ? r.issues : [{ code: "MSG_BAD_FORMAT", text: "bad" }],
    ids: r.ids,
    now: r.now,
  }));
