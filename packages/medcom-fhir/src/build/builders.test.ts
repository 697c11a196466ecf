import {
  type ConversationLinks,
  type MessageContent,
  ParsedMessage,
  type ParseResult,
  type Party,
} from "@carehub/schemas";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as arb from "../../test/arbitraries.ts";
import * as sample from "../../test/sample-inputs.ts";
import { parseFhirMessage } from "../parse-fhir-message.ts";
import { serializeFhirXml } from "../xml/serialize-fhir-xml.ts";
import { buildAcknowledgement } from "./acknowledgement.ts";
import { buildCareCommunication } from "./care-communication.ts";
import { buildEmptyMessage } from "./empty-message.ts";
import { buildHomeCareObservation } from "./homecare-observation.ts";
import { buildHospitalNotification } from "./hospital-notification.ts";
import { buildNotification } from "./notification.ts";
import { buildReferral } from "./referral.ts";
import { buildStatusUpdate } from "./status-update.ts";
import { buildTaskRequisition } from "./task-requisition.ts";
import type { BuiltMessage, MessageInput, MessageLink, MessagingOrganization, PatientInput } from "./types.ts";

const RUNS = 60;

function party(o: MessagingOrganization): Party {
  const p: Party = { sor: o.sor, gln: o.gln };
  if (o.ydernummer !== undefined) p.ydernummer = o.ydernummer;
  if (o.name !== undefined) p.name = o.name;
  return p;
}

const LINK_FIELD: Record<MessageLink["type"], keyof ConversationLinks> = {
  reply: "inReplyTo",
  forward: "forwards",
  modified: "corrects",
  retract: "retracts",
};

function linksOf(link: MessageLink | undefined): ConversationLinks {
  return link === undefined ? {} : { [LINK_FIELD[link.type]]: link.to };
}

/** What the parser must read back from a message built from `input`. */
function expectRoundTrip(
  built: BuiltMessage,
  input: MessageInput,
  expected: { kind: ParsedMessage["kind"]; content: MessageContent; patient?: PatientInput; links?: ConversationLinks },
): void {
  const forms: Array<[ParseResult, string]> = [
    [parseFhirMessage(built.json), "fhir+json"],
    [parseFhirMessage(serializeFhirXml(built.bundle)), "fhir+xml"],
  ];
  for (const [result, format] of forms) {
    if (!result.ok) throw new Error(`${format}: ${JSON.stringify(result.issues)}`);
    const m = result.message;
    expect(ParsedMessage.safeParse(m).success).toBe(true);
    expect(m.format).toBe(format);
    expect(m.kind).toBe(expected.kind);
    expect(m.messageId).toBe(input.ids.messageHeaderId);
    expect(m.envelopeId).toBe(input.ids.bundleId);
    expect(m.sentAt).toBe(input.now);
    expect(m.sender).toEqual(party(input.sender));
    expect(m.receivers).toEqual([party(input.receiver)]);
    expect(m.links).toEqual(expected.links ?? linksOf(input.link));
    expect(m.ackRequested).toBe(expected.kind !== "acknowledgement");
    expect(m.patient).toEqual(expected.patient?.identifier);
    expect(m.content).toEqual(expected.content);
    expect(result.warnings).toEqual([]);
  }
}

function valueText(v: { quantity?: { value: number; unit: string }; string?: string }): string | undefined {
  return v.quantity !== undefined ? `${v.quantity.value} ${v.quantity.unit}` : v.string;
}

describe("build → parse round-trips for every kind, as JSON and as XML", () => {
  it("CareCommunication", () => {
    fc.assert(
      fc.property(arb.careCommunication, (input) => {
        const content: MessageContent = {
          kind: "care-communication",
          threadId: input.threadId,
          category: input.category,
          segmentCount: 1,
          segments: [
            { id: input.segmentId, type: "text", writtenAt: input.now, authorOrganizationSor: input.sender.sor },
          ],
        };
        if (input.priority !== undefined) content.priority = input.priority;
        if (input.topic !== undefined) content.topic = input.topic;
        expectRoundTrip(buildCareCommunication(input), input, {
          kind: "care-communication",
          content,
          patient: input.patient,
        });
      }),
      { numRuns: RUNS },
    );
  });

  it("HomeCareObservation, including corrections, retractions and withheld consent", () => {
    fc.assert(
      fc.property(arb.homeCareObservation, (input) => {
        const observations = input.observations.map((o) => {
          const value = valueText(o.value);
          return value === undefined ? { system: o.system, code: o.code } : { system: o.system, code: o.code, value };
        });
        expectRoundTrip(buildHomeCareObservation(input), input, {
          kind: "homecare-observation",
          content: {
            kind: "homecare-observation",
            reportStatus: "final",
            consentGiven: input.consentGiven,
            observations,
          },
          patient: input.patient,
        });
      }),
      { numRuns: RUNS },
    );
  });

  it("HospitalNotification, every activity of the table, deaths included", () => {
    fc.assert(
      fc.property(arb.hospitalNotification, (input) => {
        const a = input.activity;
        const links: ConversationLinks = {};
        if (input.link !== undefined && a.startsWith("revise-")) links.corrects = input.link.to;
        if (input.link !== undefined && a.startsWith("cancel-")) links.retracts = input.link.to;
        expectRoundTrip(buildHospitalNotification(input), input, {
          kind: "hospital-notification",
          content: {
            kind: "hospital-notification",
            encounterClass: input.encounter.class,
            encounterStatus: input.encounter.status,
            activity: a,
            deceased: input.patient.deceased === true,
          },
          patient: input.patient,
          links,
        });
      }),
      { numRuns: RUNS },
    );
  });

  it("empty message", () => {
    fc.assert(
      fc.property(arb.emptyMessage, (input) => {
        expectRoundTrip(buildEmptyMessage(input), input, { kind: "empty", content: { kind: "empty" } });
      }),
      { numRuns: RUNS },
    );
  });

  it("referral", () => {
    fc.assert(
      fc.property(arb.referral, (input) => {
        const content: MessageContent = {
          kind: "referral",
          referralId: input.referral.id,
          category: input.referral.category,
        };
        if (input.referral.priority !== undefined) content.priority = input.referral.priority;
        if (input.referral.reasonCode !== undefined) content.reasonCode = input.referral.reasonCode;
        expectRoundTrip(buildReferral(input), input, { kind: "referral", content, patient: input.patient });
      }),
      { numRuns: RUNS },
    );
  });

  it("task requisition", () => {
    fc.assert(
      fc.property(arb.taskRequisition, (input) => {
        const content: MessageContent = { kind: "task-requisition", taskId: input.task.id, code: input.task.code };
        if (input.task.description !== undefined) content.description = input.task.description;
        if (input.task.dueDate !== undefined) content.dueDate = input.task.dueDate;
        expectRoundTrip(buildTaskRequisition(input), input, {
          kind: "task-requisition",
          content,
          patient: input.patient,
        });
      }),
      { numRuns: RUNS },
    );
  });

  it("notification", () => {
    fc.assert(
      fc.property(arb.notification, (input) => {
        const expected: Parameters<typeof expectRoundTrip>[2] = {
          kind: "notification",
          // The expiry comes back as the same instant, in UTC.
          content: {
            kind: "notification",
            topic: input.topic,
            ...(input.expiresAt === undefined ? {} : { expiresAt: new Date(input.expiresAt).toISOString() }),
          },
        };
        if (input.patient !== undefined) expected.patient = input.patient;
        expectRoundTrip(buildNotification(input), input, expected);
      }),
      { numRuns: RUNS },
    );
  });

  it("status update about a referral, a task or an appointment, every business status", () => {
    fc.assert(
      fc.property(arb.statusUpdate, (input) => {
        const content: MessageContent = {
          kind: "status-update",
          subject: input.subject,
          status: input.status,
          occurredAt: input.occurredAt,
        };
        if (input.reason !== undefined) content.reason = input.reason;
        if (input.appointment !== undefined) content.appointment = input.appointment;
        if (input.basedOn !== undefined) content.basedOn = input.basedOn;
        const expected: Parameters<typeof expectRoundTrip>[2] = { kind: "status-update", content };
        if (input.patient !== undefined) expected.patient = input.patient;
        expectRoundTrip(buildStatusUpdate(input), input, expected);
      }),
      { numRuns: RUNS },
    );
  });

  it("acknowledgement (ok, transient-error, fatal-error)", () => {
    fc.assert(
      fc.property(arb.acknowledgement, (input) => {
        const built = buildAcknowledgement(input);
        const severity = input.code === "ok" ? "information" : "error";
        const asMessage: MessageInput = {
          ids: input.ids,
          now: input.now,
          sender: input.acknowledger as MessagingOrganization,
          receiver: input.original.sender as MessagingOrganization,
        };
        expectRoundTrip(built, asMessage, {
          kind: "acknowledgement",
          content: {
            kind: "acknowledgement",
            code: input.code,
            respondsTo: input.original.messageId,
            issues: (input.issues ?? []).map((i) => ({ severity, code: i.code, text: i.text })),
          },
          links: { inReplyTo: { messageId: input.original.messageId } },
        });
      }),
      { numRuns: RUNS },
    );
  });
});

describe("builders", () => {
  it("are deterministic: the same input builds the same bytes", () => {
    expect(buildHomeCareObservation(sample.homeCareObservation).json).toBe(
      buildHomeCareObservation(structuredClone(sample.homeCareObservation)).json,
    );
  });

  it("mark withheld consent on the DiagnosticReport (meta.security R)", () => {
    const built = buildHomeCareObservation({ ...sample.homeCareObservation, consentGiven: false });
    const report = built.bundle.entry?.find((e) => e.resource.resourceType === "DiagnosticReport")?.resource;
    expect((report?.meta as { security?: unknown } | undefined)?.security).toEqual([
      { system: "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", code: "R", display: "Restricted" },
    ]);
  });

  it("address an acknowledgement to the original sender at its source endpoint, with the original Provenance", () => {
    const original = buildCareCommunication(sample.careCommunication).bundle;
    const provenance = original.entry?.filter((e) => e.resource.resourceType === "Provenance").map((e) => e.resource);
    const ack = buildAcknowledgement({
      ...sample.acknowledgement,
      original: { ...sample.acknowledgement.original, sourceEndpointUrl: "https://example.org/inbox", provenance },
    });
    const header = ack.bundle.entry?.[0]?.resource as unknown as {
      destination: Array<{ endpoint: string }>;
      response: unknown;
    };
    expect(header.destination[0]?.endpoint).toBe("https://example.org/inbox");
    expect(ack.bundle.entry?.filter((e) => e.resource.resourceType === "Provenance")).toHaveLength(2);
    const parsed = parseFhirMessage(ack.json);
    expect(parsed.ok && parsed.message.receivers).toEqual([party(sample.HOSPITAL)]);
  });

  it("leave the OperationOutcome out of a plain ok acknowledgement", () => {
    const ack = buildAcknowledgement({ ...sample.acknowledgement, code: "ok", issues: [] });
    expect(ack.bundle.entry?.some((e) => e.resource.resourceType === "OperationOutcome")).toBe(false);
    expect(parseFhirMessage(ack.json).ok).toBe(true);
  });

  it("can acknowledge a message whose sender named only a GLN", () => {
    const ack = buildAcknowledgement({
      ...sample.acknowledgement,
      original: { messageId: "m1", sender: { gln: sample.PRACTICE.gln }, receivers: [sample.HOSPITAL] },
    });
    const destination = ack.bundle.entry?.[0]?.resource.destination as Array<{ receiver: { reference: string } }>;
    const receiverRef = destination[0]?.receiver.reference;
    const receiver = ack.bundle.entry?.find((e) => `Organization/${e.resource.id}` === receiverRef)?.resource;
    expect(receiver?.identifier).toEqual([{ system: "https://www.gs1.org/gln", value: sample.PRACTICE.gln }]);
  });
});
