import { ParsedMessage } from "@carehub/schemas";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { baseLabReportInput, cprArb, glnArb, idArb, momentArb, textArb } from "../test/fixtures.ts";
import { buildLabReport, type LabReportInput } from "./build-lab-report.ts";
import { buildReceipt, type ReceiptInput } from "./build-receipt.ts";
import { REFUSE_CODES } from "./codes.ts";
import { encodeXmlText } from "./encode.ts";
import { RESULT_STATUS_CODES } from "./letter-types.ts";
import { parseOioxmlMessage } from "./parse-oioxml.ts";

const partyArb = fc.record(
  { gln: glnArb, name: textArb, ydernummer: fc.stringMatching(/^\d{6}$/) },
  { requiredKeys: ["gln"] },
);

const labReportArb: fc.Arbitrary<LabReportInput> = fc.record(
  {
    versionCode: fc.constantFrom("XR0130K" as const, "XR0131K" as const),
    ids: fc.record({ envelopeId: idArb, letterId: idArb }),
    now: momentArb,
    ackRequested: fc.boolean(),
    statusCode: fc.constantFrom("nytbrev" as const, "rettetbrev" as const),
    sender: partyArb,
    receiver: partyArb,
    ccReceivers: fc.array(partyArb, { maxLength: 2 }),
    patient: fc.record(
      { cpr: cprArb, surname: textArb, givenName: textArb, consentGiven: fc.boolean() },
      { requiredKeys: ["cpr"] },
    ),
    sample: fc.record({ laboratorySampleId: idArb, samplingTime: momentArb }, { requiredKeys: ["laboratorySampleId"] }),
    reportStatus: fc.constantFrom("del_svar" as const, "komplet_svar" as const, "modtaget" as const),
    results: fc.array(
      fc.record(
        {
          analysisCode: fc.oneof(fc.stringMatching(/^NPU\d{5}$/), fc.stringMatching(/^MCS\d{5}$/)),
          status: fc.constantFrom(...RESULT_STATUS_CODES),
          value: textArb,
          unit: textArb,
          shortName: textArb,
        },
        { requiredKeys: ["analysisCode", "status"] },
      ),
      { minLength: 1, maxLength: 5 },
    ),
    encoding: fc.constantFrom("UTF-8" as const, "windows-1252" as const),
  },
  { requiredKeys: ["ids", "now", "sender", "receiver", "patient", "results"] },
);

describe("buildLabReport → parseOioxmlMessage", () => {
  it("round-trips every field the hub reads", () => {
    fc.assert(
      fc.property(labReportArb, (input) => {
        const result = parseOioxmlMessage(encodeXmlText(buildLabReport(input)));
        if (!result.ok) throw new Error(JSON.stringify(result.issues));
        const { message } = result;
        expect(ParsedMessage.safeParse(message).success).toBe(true);
        expect(message).toMatchObject({
          kind: "lab-result",
          format: "oioxml",
          standard: "XRPT01",
          standardVersion: input.versionCode ?? "XR0131K",
          messageId: input.ids.letterId,
          envelopeId: input.ids.envelopeId,
          ackRequested: input.ackRequested ?? false,
          patient: { system: "cpr", value: input.patient.cpr },
        });
        expect(Date.parse(message.sentAt ?? "")).toBe(new Date(input.now).getTime());
        expect(message.sender).toEqual(input.sender);
        expect(message.receivers).toEqual([input.receiver, ...(input.ccReceivers ?? [])]);
        if (message.content.kind !== "lab-result") throw new Error("not a lab result");
        expect(message.content.consentGiven).toBe(input.patient.consentGiven ?? null);
        expect(message.content.corrected).toBe(
          input.statusCode === "rettetbrev" || input.results.some((r) => r.status === "svar_rettet"),
        );
        expect(message.content.reportStatus).toBe(
          (input.versionCode ?? "XR0131K") === "XR0131K" ? input.reportStatus : undefined,
        );
        expect(message.content.sampleId).toBe(input.sample?.laboratorySampleId);
        expect(message.content.results).toEqual(
          input.results.map((r) => ({
            analysisCode: r.analysisCode,
            status: r.status,
            ...(r.value === undefined ? {} : { value: r.value }),
            ...(r.unit === undefined ? {} : { unit: r.unit }),
          })),
        );
      }),
      { numRuns: 300 },
    );
  });

  it("marks a report corrected by rettetbrev alone, and by one svar_rettet result alone", () => {
    const byLetter = parseOioxmlMessage(buildLabReport(baseLabReportInput({ statusCode: "rettetbrev" })));
    expect(byLetter.ok && byLetter.message.content).toMatchObject({ corrected: true });
    const input = baseLabReportInput();
    const byResult = parseOioxmlMessage(
      buildLabReport({ ...input, results: [...input.results, { analysisCode: "NPU03230", status: "svar_rettet" }] }),
    );
    expect(byResult.ok && byResult.message.content).toMatchObject({ corrected: true });
    // Nothing in the letter names the report it corrects, so no `corrects` link is invented.
    expect(byResult.ok && byResult.message.links.corrects).toBeUndefined();
    const plain = parseOioxmlMessage(buildLabReport(baseLabReportInput()));
    expect(plain.ok && plain.message.content).toMatchObject({ corrected: false });
  });

  it("writes a result's optional elements in the order of MedCom's XRPT01 letters, and they parse", () => {
    const input = baseLabReportInput({
      issued: "2024-03-05T09:30:00+01:00",
      results: [
        {
          analysisCode: "NPU19748",
          completeName: "P-C-reaktivt protein;massek.",
          status: "svar_endeligt",
          producer: { identifier: "012345", identifierCode: "ydernummer" },
          referenceInterval: { typeOfInterval: "fysiologisk", upperLimit: "8" },
          operator: "mindre_end",
          value: "5",
          unit: "mg/l",
          validation: "for_lav",
          comments: ["Målt i klinikken"],
        },
      ],
    });
    const xml = buildLabReport(input);
    const result = xml.slice(xml.indexOf("<Result>"), xml.indexOf("</Result>"));
    const order = [...result.matchAll(/<([A-Za-z]+)>/g)].map((m) => m[1]).filter((name) => name !== "Result");
    // XRPT01_2.xml (MedCom's test letter): Analysis, ProducerOfLabResult, ReferenceInterval, ResultType, Value, Unit.
    expect(order).toEqual([
      "ResultStatusCode",
      "Analysis",
      "AnalysisCode",
      "AnalysisCodeType",
      "AnalysisCodeResponsible",
      "AnalysisCompleteName",
      "ProducerOfLabResult",
      "Identifier",
      "IdentifierCode",
      "ReferenceInterval",
      "TypeOfInterval",
      "UpperLimit",
      "ResultType",
      "Operator",
      "Value",
      "Unit",
      "ResultValidation",
      "ResultComments",
    ]);
    // The release time, not the send time, is the letter's Authorisation and ResultsDateTime.
    expect(xml).toContain("<Authorisation><Date>2024-03-05</Date><Time>09:30</Time></Authorisation>");
    expect(xml).toContain("<ResultsDateTime><Date>2024-03-05</Date><Time>09:30</Time></ResultsDateTime>");
    expect(xml).toContain("<Sent><Date>2024-03-05</Date><Time>10:15</Time></Sent>");
    const parsed = parseOioxmlMessage(xml);
    expect(parsed.ok && parsed.message.content).toMatchObject({ results: [{ analysisCode: "NPU19748", value: "5" }] });
  });

  it("reports consent null when the letter says nothing about it", () => {
    const input = baseLabReportInput();
    const result = parseOioxmlMessage(buildLabReport({ ...input, patient: { cpr: input.patient.cpr } }));
    expect(result.ok && result.message.content).toMatchObject({ consentGiven: null });
  });

  it("refuses input that cannot make a valid letter", () => {
    expect(() => buildLabReport(baseLabReportInput({ results: [] }))).toThrow(/at least one result/);
    expect(() => buildLabReport(baseLabReportInput({ receiver: { sor: "265161000016000" } }))).toThrow(/GLN/);
    expect(() => buildLabReport({ ...baseLabReportInput(), patient: { cpr: "3213001234" } })).toThrow(/CPR/);
  });
});

const receiptArb: fc.Arbitrary<ReceiptInput> = fc.record(
  {
    type: fc.constantFrom("XCTL02" as const, "XCTL03" as const),
    original: fc.record(
      {
        envelopeId: idArb,
        letterId: idArb,
        versionCode: fc.constantFrom("XR0131K", "XH0130R"),
        sender: partyArb,
        receiver: partyArb,
      },
      { requiredKeys: ["envelopeId", "letterId", "sender", "receiver"] },
    ),
    refuseCode: fc.constantFrom(...REFUSE_CODES),
    refuseText: textArb,
    ids: fc.record({ envelopeId: idArb, letterId: idArb }),
    now: fc.oneof(
      momentArb,
      momentArb.map((d) => d.toISOString()),
    ),
    encoding: fc.constantFrom("UTF-8" as const, "windows-1252" as const),
  },
  { requiredKeys: ["type", "original", "refuseCode", "ids", "now"] },
);

describe("buildReceipt → parseOioxmlMessage", () => {
  it("round-trips: back to the original sender, responding to the original letter, never asking for a receipt", () => {
    fc.assert(
      fc.property(receiptArb, (input) => {
        const result = parseOioxmlMessage(encodeXmlText(buildReceipt(input)));
        if (!result.ok) throw new Error(JSON.stringify(result.issues));
        const { message } = result;
        expect(ParsedMessage.safeParse(message).success).toBe(true);
        expect(message).toMatchObject({
          kind: "acknowledgement",
          standard: input.type,
          messageId: input.ids.letterId,
          envelopeId: input.ids.envelopeId,
          ackRequested: false,
          links: { inReplyTo: { messageId: input.original.letterId, senderGln: input.original.sender.gln } },
        });
        expect(message.sender.gln).toBe(input.original.receiver.gln);
        expect(message.receivers.map((r) => r.gln)).toEqual([input.original.sender.gln]);
        expect(message.patient).toBeUndefined();
        const negative = input.type === "XCTL02";
        expect(message.content).toEqual({
          kind: "acknowledgement",
          code: negative ? "fatal-error" : "ok",
          respondsTo: input.original.letterId,
          issues: negative
            ? [
                {
                  severity: "error",
                  code: input.refuseCode,
                  ...(input.refuseText === undefined ? {} : { text: input.refuseText }),
                },
              ]
            : [],
        });
      }),
      { numRuns: 300 },
    );
  });

  it("needs a refuse code for a negative receipt", () => {
    expect(() =>
      buildReceipt({
        type: "XCTL02",
        original: {
          envelopeId: "E",
          letterId: "L",
          sender: { gln: "5790000120284" },
          receiver: { gln: "5790000125012" },
        },
        ids: { envelopeId: "E2", letterId: "L2" },
        now: new Date(0),
      }),
    ).toThrow(/refuseCode/);
  });
});
