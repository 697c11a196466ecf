import { parseFhirMessage } from "@carehub/medcom-fhir";
import { parseOioxmlMessage } from "@carehub/medcom-xml";
import type { Endpoint, HubIdentity, ValidationIssue, WireFormat } from "@carehub/schemas";
import { describe, expect, it } from "vitest";
import { negativeAcknowledgementIds } from "./acknowledgement-ids.ts";
import {
  buildNegativeAcknowledgement,
  type NegativeAcknowledgementPlan,
  planNegativeAcknowledgement,
  refuseCodeFor,
} from "./negative-acknowledgement.ts";
import { parseStoredAcknowledgement, storedAcknowledgement } from "./stored-acknowledgement.ts";

const hub: HubIdentity = { id: "carehub", name: "carehub", sor: "481521000016007", gln: "5790000199990" };
const source: Endpoint = {
  id: "svendborg-lab",
  name: "Svendborg lab",
  kind: "laboratory",
  identifiers: { sor: ["161803000016005"], gln: ["5790000120284"] },
  sends: ["lab-result"],
  accepts: ["acknowledgement"],
  delivery: { mode: "nats" },
  auth: { tokenSha256: ["0".repeat(64)] },
  ackTimeoutSeconds: 1800,
  retryWindowSeconds: 86_400,
};
const unknownReceiver: ValidationIssue = {
  code: "CAREHUB_ERR_ROUTE_UNKNOWN_RECEIVER",
  path: "Emessage/*/Receiver",
  message: "no endpoint is registered for the receiver GLN 5790000125012",
  medcomCode: "MSG_Receiver_Identifier_UNKNOWN",
};
const now = new Date("2026-03-01T10:00:00Z");

function plan(format: WireFormat, issues: ValidationIssue[] = [unknownReceiver]): NegativeAcknowledgementPlan {
  const result = planNegativeAcknowledgement({
    originalHubId: "h1",
    message: {
      kind: "lab-result",
      format,
      messageId: "80901082504859",
      envelopeId: "00114124637002",
      standardVersion: "XR0130K",
      receivers: [{ gln: "5790000125012" }],
    },
    source,
    hub,
    issues,
  });
  if ("reason" in result) throw new Error(`expected a plan, got ${JSON.stringify(result)}`);
  return result;
}

describe("negativeAcknowledgementIds", () => {
  it("derives exactly the ids intake derives, so both stages answer alike", () => {
    // Values of services/intake derived-ids.ts negativeAckIds("h1").
    expect(negativeAcknowledgementIds("h1")).toEqual({
      hubId: "8e6e989a-69c0-5093-9b2f-899b8d5870da",
      bundleId: "7e4b6962-da5b-56f4-85e0-d93fad81cd75",
      letterId: "00647971329919",
      envelopeId: "67548925309979",
    });
  });
});

describe("planNegativeAcknowledgement", () => {
  it("answers the authenticated source endpoint, from the hub", () => {
    expect(plan("fhir+json")).toMatchObject({
      to: { sor: "161803000016005", gln: "5790000120284" },
      from: { sor: hub.sor, gln: hub.gln },
    });
  });

  it("never answers an acknowledgement (MedCom KR2) and says when it cannot refer to the message", () => {
    const base = { originalHubId: "h1", source, hub, issues: [unknownReceiver] };
    expect(
      planNegativeAcknowledgement({
        ...base,
        message: { kind: "acknowledgement", format: "fhir+json", messageId: "m" },
      }),
    ).toEqual({ reason: "is-acknowledgement" });
    // …unless the hub refused it as a fact its sender had no part in: then that sender is told.
    expect(
      planNegativeAcknowledgement({
        ...base,
        message: { kind: "acknowledgement", format: "fhir+json", messageId: "m" },
        answerAcknowledgement: true,
      }),
    ).toMatchObject({ format: "fhir+json", original: { messageId: "m" } });
    expect(planNegativeAcknowledgement({ ...base, message: { format: "fhir+json" } })).toMatchObject({
      reason: "unanswerable",
    });
    expect(planNegativeAcknowledgement({ ...base, message: { format: "oioxml", messageId: "L" } })).toMatchObject({
      reason: "unanswerable",
      detail: expect.stringContaining("envelope id"),
    });
  });
});

describe("buildNegativeAcknowledgement", () => {
  it("answers a letter with an XCTL02 from the hub to the source, with the refuse code, parseable as an acknowledgement", () => {
    const built = buildNegativeAcknowledgement(plan("oioxml"), now);
    expect(built.contentType).toBe("application/xml");
    const text = new TextDecoder("latin1").decode(built.bytes);
    expect(text).toContain("<RefuseCode>ukendt_lokationsnummer</RefuseCode>");
    expect(text).toContain("no endpoint is registered for the receiver GLN 5790000125012");
    const parsed = parseOioxmlMessage(built.bytes);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    expect(parsed.message.sender.gln).toBe(hub.gln);
    expect(parsed.message.receivers[0]?.gln).toBe("5790000120284");
    expect(parsed.message.content).toMatchObject({
      kind: "acknowledgement",
      code: "fatal-error",
      respondsTo: "80901082504859",
    });
  });

  it("answers FHIR with a fatal-error Acknowledgement carrying the MedCom issue code, in the sender's encoding", () => {
    for (const format of ["fhir+json", "fhir+xml"] as const) {
      const built = buildNegativeAcknowledgement(plan(format), now);
      expect(built.contentType).toBe(`application/${format}`);
      const parsed = parseFhirMessage(built.bytes, { format });
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
      expect(parsed.message.content).toMatchObject({
        kind: "acknowledgement",
        code: "fatal-error",
        respondsTo: "80901082504859",
        issues: [expect.objectContaining({ code: "MSG_Receiver_Identifier_UNKNOWN" })],
      });
      expect(parsed.message.messageId).toBe(negativeAcknowledgementIds("h1").hubId);
    }
  });

  it("builds the same bytes again from the same input (safe to redo after a crash)", () => {
    const a = buildNegativeAcknowledgement(plan("fhir+json"), now);
    const b = buildNegativeAcknowledgement(plan("fhir+json"), now);
    expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).toBe(true);
  });

  it("round-trips through the stored form the gateway and intake read", () => {
    const built = buildNegativeAcknowledgement(plan("oioxml"), now);
    const stored = parseStoredAcknowledgement(JSON.stringify(storedAcknowledgement(built, "carehub")));
    expect(stored?.hubId).toBe(built.hubId);
    expect(Buffer.from(stored?.base64 ?? "", "base64").equals(Buffer.from(built.bytes))).toBe(true);
  });
});

describe("refuseCodeFor", () => {
  it("maps routing problems by their MedCom issue code and parser problems by the parser's table", () => {
    expect(refuseCodeFor([unknownReceiver])).toBe("ukendt_lokationsnummer");
    expect(
      refuseCodeFor([
        { ...unknownReceiver, code: "CAREHUB_ERR_X", medcomCode: "MSG_RECEIVER_UNABLE_TO_RECEIVE_MSG_TYPE" },
      ]),
    ).toBe("problem_med_modtagerID");
    expect(refuseCodeFor([{ code: "CAREHUB_ERR_OIOXML_NOT_WELL_FORMED", path: "", message: "" }])).toBe("syntaksfejl");
    expect(refuseCodeFor([{ code: "CAREHUB_ERR_SOMETHING", path: "", message: "" }])).toBe("ikke_specificeret");
  });
});
