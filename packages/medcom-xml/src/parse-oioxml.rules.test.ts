import { describe, expect, it } from "vitest";
import { BASE_CPR, baseLetter, RECEIVER_GLN, SENDER_GLN, withCheckDigit } from "../test/fixtures.ts";
import { buildReceipt } from "./build-receipt.ts";
import { OIOXML_ERROR_CODES, REFUSE_CODE_FOR } from "./codes.ts";
import { encodeXmlText } from "./encode.ts";
import { parseOioxmlMessage } from "./parse-oioxml.ts";

const L = "Emessage/LaboratoryReport";

function mutate(text: string, pattern: RegExp | string, replacement: string): string {
  const mutated = text.replace(pattern, replacement);
  if (mutated === text) throw new Error(`mutation ${String(pattern)} changed nothing`);
  return mutated;
}

function issuesOf(text: string): Array<{ code: string; path: string; message: string; medcomCode?: string }> {
  const result = parseOioxmlMessage(encodeXmlText(text));
  if (result.ok) return [];
  return result.issues;
}

interface Rule {
  name: string;
  mutate: (letter: string) => string;
  code: string;
  path?: string;
}

const rules: Rule[] = [
  { name: "well-formed", mutate: (t) => t.replace(/<\/Emessage>$/, ""), code: OIOXML_ERROR_CODES.NOT_WELL_FORMED },
  {
    name: "root is Emessage",
    mutate: (t) => t.replaceAll("Emessage", "Message"),
    code: OIOXML_ERROR_CODES.NOT_EMESSAGE,
  },
  {
    name: "MedCom namespace",
    mutate: (t) => mutate(t, /xmlns="[^"]*"/, 'xmlns="http://example.org/letters/"'),
    code: OIOXML_ERROR_CODES.NAMESPACE,
  },
  {
    name: "known letter element",
    mutate: (t) => t.replaceAll("LaboratoryReport>", "LaboratoryReportX>"),
    code: OIOXML_ERROR_CODES.UNSUPPORTED_LETTER,
  },
  {
    name: "one letter per Emessage",
    mutate: (t) => mutate(t, "</LaboratoryReport>", "</LaboratoryReport><LaboratoryReport/>"),
    code: OIOXML_ERROR_CODES.UNSUPPORTED_LETTER,
  },
  {
    name: "supported VersionCode",
    mutate: (t) => mutate(t, "<VersionCode>XR0131K<", "<VersionCode>XR0199K<"),
    code: OIOXML_ERROR_CODES.VERSION_UNSUPPORTED,
    path: `${L}/Letter/VersionCode`,
  },
  {
    name: "StatisticalCode of the letter",
    mutate: (t) => mutate(t, "<StatisticalCode>XRPT01<", "<StatisticalCode>XREF01<"),
    code: OIOXML_ERROR_CODES.VERSION_UNSUPPORTED,
    path: `${L}/Letter/StatisticalCode`,
  },
  {
    name: "Envelope Sent required",
    mutate: (t) => mutate(t, /<Sent>.*?<\/Sent>/, ""),
    code: OIOXML_ERROR_CODES.REQUIRED_MISSING,
    path: "Emessage/Envelope/Sent/Date",
  },
  {
    name: "Envelope Identifier required",
    mutate: (t) => mutate(t, /(<\/Sent>)<Identifier>[^<]*<\/Identifier>/, "$1"),
    code: OIOXML_ERROR_CODES.REQUIRED_MISSING,
    path: "Emessage/Envelope/Identifier",
  },
  {
    name: "Letter Identifier required",
    mutate: (t) => mutate(t, /(<Letter>)<Identifier>[^<]*<\/Identifier>/, "$1"),
    code: OIOXML_ERROR_CODES.REQUIRED_MISSING,
    path: `${L}/Letter/Identifier`,
  },
  {
    name: "Letter VersionCode required",
    mutate: (t) => mutate(t, /<VersionCode>[^<]*<\/VersionCode>/, ""),
    code: OIOXML_ERROR_CODES.REQUIRED_MISSING,
    path: `${L}/Letter/VersionCode`,
  },
  {
    name: "Letter StatisticalCode required",
    mutate: (t) => mutate(t, /<StatisticalCode>[^<]*<\/StatisticalCode>/, ""),
    code: OIOXML_ERROR_CODES.REQUIRED_MISSING,
    path: `${L}/Letter/StatisticalCode`,
  },
  {
    name: "Sender EANIdentifier required",
    mutate: (t) => mutate(t, /(<Sender>)<EANIdentifier>[^<]*<\/EANIdentifier>/, "$1"),
    code: OIOXML_ERROR_CODES.REQUIRED_MISSING,
    path: `${L}/Sender/EANIdentifier`,
  },
  {
    name: "Receiver EANIdentifier required",
    mutate: (t) => mutate(t, /(<Receiver>)<EANIdentifier>[^<]*<\/EANIdentifier>/, "$1"),
    code: OIOXML_ERROR_CODES.REQUIRED_MISSING,
    path: `${L}/Receiver/EANIdentifier`,
  },
  {
    name: "Patient required",
    mutate: (t) => mutate(t, /<Patient>.*?<\/Patient>/, ""),
    code: OIOXML_ERROR_CODES.REQUIRED_MISSING,
    path: `${L}/Patient`,
  },
  {
    name: "GLN is 13 digits (receiver)",
    mutate: (t) => mutate(t, `<EANIdentifier>${RECEIVER_GLN}<`, "<EANIdentifier>579000012501<"),
    code: OIOXML_ERROR_CODES.GLN_FORMAT,
    path: `${L}/Receiver/EANIdentifier`,
  },
  {
    name: "GLN check digit (sender)",
    mutate: (t) =>
      mutate(
        t,
        `<EANIdentifier>${SENDER_GLN}<`,
        `<EANIdentifier>${SENDER_GLN.slice(0, 12)}${(Number(SENDER_GLN[12]) + 1) % 10}<`,
      ),
    code: OIOXML_ERROR_CODES.GLN_CHECK_DIGIT,
    path: `${L}/Sender/EANIdentifier`,
  },
  {
    name: "CPR date part (day 32)",
    mutate: (t) => mutate(t, `>${BASE_CPR}<`, ">3209479989<"),
    code: OIOXML_ERROR_CODES.CPR_INVALID,
    path: `${L}/Patient/CivilRegistrationNumber`,
  },
  {
    name: "CPR date part (29 February in a non-leap year)",
    mutate: (t) => mutate(t, `>${BASE_CPR}<`, ">2902011234<"),
    code: OIOXML_ERROR_CODES.CPR_INVALID,
    path: `${L}/Patient/CivilRegistrationNumber`,
  },
  {
    name: "CPR is 10 digits",
    mutate: (t) => mutate(t, `>${BASE_CPR}<`, ">250947-9989<"),
    code: OIOXML_ERROR_CODES.CPR_INVALID,
    path: `${L}/Patient/CivilRegistrationNumber`,
  },
  {
    name: "SOR code is at least 11 digits",
    mutate: (t) =>
      mutate(
        t,
        "<Identifier>012345</Identifier><IdentifierCode>ydernummer<",
        "<Identifier>1234567890</Identifier><IdentifierCode>sorkode<",
      ),
    code: OIOXML_ERROR_CODES.SOR_INVALID,
    path: `${L}/Receiver/Identifier`,
  },
  {
    name: "Letter StatusCode is known",
    mutate: (t) => mutate(t, "<StatusCode>nytbrev<", "<StatusCode>gammeltbrev<"),
    code: OIOXML_ERROR_CODES.STATUS_CODE_UNKNOWN,
    path: `${L}/Letter/StatusCode`,
  },
  {
    name: "ResultStatusCode is known",
    mutate: (t) => mutate(t, "<ResultStatusCode>svar_endeligt<", "<ResultStatusCode>svar_maaske<"),
    code: OIOXML_ERROR_CODES.RESULT_STATUS_UNKNOWN,
    path: `${L}/LaboratoryResults/Result[1]/ResultStatusCode`,
  },
  {
    name: "Result needs a ResultStatusCode",
    mutate: (t) => mutate(t, "<ResultStatusCode>svar_endeligt</ResultStatusCode>", ""),
    code: OIOXML_ERROR_CODES.REQUIRED_MISSING,
    path: `${L}/LaboratoryResults/Result[1]/ResultStatusCode`,
  },
  {
    name: "Date is a calendar date",
    mutate: (t) => mutate(t, /(<Sent><Date>)[^<]*/, "$12024-02-30"),
    code: OIOXML_ERROR_CODES.DATE_INVALID,
    path: "Emessage/Envelope/Sent/Date",
  },
  {
    name: "Time is hh:mm",
    mutate: (t) => mutate(t, /(<Authorisation><Date>[^<]*<\/Date><Time>)[^<]*/, "$125:10"),
    code: OIOXML_ERROR_CODES.TIME_INVALID,
    path: `${L}/Letter/Authorisation/Time`,
  },
  {
    name: "AcknowledgementCode is known",
    mutate: (t) => mutate(t, "<AcknowledgementCode>minuspositivkvitt<", "<AcknowledgementCode>kvitter<"),
    code: OIOXML_ERROR_CODES.VALUE_NOT_ALLOWED,
    path: "Emessage/Envelope/AcknowledgementCode",
  },
  {
    name: "Consent/Given is a boolean",
    mutate: (t) => mutate(t, "<Given>true<", "<Given>ja<"),
    code: OIOXML_ERROR_CODES.VALUE_NOT_ALLOWED,
    path: `${L}/Patient/Consent/Given`,
  },
  {
    name: "ReportStatusCode is known",
    mutate: (t) => mutate(t, "<ReportStatusCode>komplet_svar<", "<ReportStatusCode>faerdig<"),
    code: OIOXML_ERROR_CODES.VALUE_NOT_ALLOWED,
    path: `${L}/LaboratoryResults/GeneralResultInformation/ReportStatusCode`,
  },
  {
    name: "no DOCTYPE",
    mutate: (t) => mutate(t, "?>\n", '?>\n<!DOCTYPE Emessage [<!ENTITY x "y">]>'),
    code: OIOXML_ERROR_CODES.DOCTYPE_FORBIDDEN,
  },
  {
    name: "no undefined entities",
    mutate: (t) => mutate(t, "<PersonGivenName>", "<PersonGivenName>&x;"),
    code: OIOXML_ERROR_CODES.NOT_WELL_FORMED,
  },
];

describe("OIOXML validation rules: each mutation of a valid letter is rejected with its code", () => {
  it("the unmutated base letter is valid", () => {
    expect(parseOioxmlMessage(encodeXmlText(baseLetter()))).toMatchObject({ ok: true, warnings: [] });
  });

  for (const rule of rules) {
    it(rule.name, () => {
      const issues = issuesOf(rule.mutate(baseLetter()));
      const match = issues.find((i) => i.code === rule.code && (rule.path === undefined || i.path === rule.path));
      expect(match, JSON.stringify(issues)).toBeDefined();
      for (const issue of issues) {
        expect(issue.medcomCode).toBeDefined();
        // A patient identifier never appears in what is reported.
        expect(`${issue.path} ${issue.message}`).not.toContain(BASE_CPR);
        expect(`${issue.path} ${issue.message}`).not.toContain("3209479989");
      }
    });
  }

  it("uses the refuse code catalogued for each code, problem_med_modtagerID for a receiver's SOR id", () => {
    const sor = issuesOf(
      baseLetter().replace(
        "<Identifier>012345</Identifier><IdentifierCode>ydernummer<",
        "<Identifier>1234</Identifier><IdentifierCode>sorkode<",
      ),
    );
    expect(sor).toContainEqual(expect.objectContaining({ medcomCode: "problem_med_modtagerID" }));
    const date = issuesOf(baseLetter().replace(/(<Sent><Date>)[^<]*/, "$12024-13-01"));
    expect(date[0]?.medcomCode).toBe(REFUSE_CODE_FOR[OIOXML_ERROR_CODES.DATE_INVALID]);
  });

  it("accepts a CPR number that fails modulus 11 when its date part is valid", () => {
    const result = parseOioxmlMessage(encodeXmlText(baseLetter()));
    expect(result.ok && result.message.patient).toEqual({ system: "cpr", value: BASE_CPR });
  });

  it("accepts a valid SOR code and reports it on the party", () => {
    const result = parseOioxmlMessage(
      encodeXmlText(
        baseLetter().replace(
          "<Identifier>012345</Identifier><IdentifierCode>ydernummer<",
          "<Identifier>265161000016000</Identifier><IdentifierCode>sorkode<",
        ),
      ),
    );
    expect(result.ok && result.message.receivers[0]?.sor).toBe("265161000016000");
  });

  it("respects a smaller size limit", () => {
    const result = parseOioxmlMessage(baseLetter(), { limits: { maxBytes: 100 } });
    expect(result).toMatchObject({ ok: false, issues: [{ code: OIOXML_ERROR_CODES.TOO_LARGE }] });
  });

  for (const name of ["__proto__", "constructor", "prototype"]) {
    it(`refuses the element name ${name} without touching Object.prototype`, () => {
      const result = parseOioxmlMessage(
        baseLetter().replace("<PersonGivenName>", `<${name}><polluted>yes</polluted></${name}><PersonGivenName>`),
      );
      expect(result).toMatchObject({ ok: false, issues: [{ code: OIOXML_ERROR_CODES.NOT_WELL_FORMED }] });
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  }
});

describe("receipts", () => {
  const original = {
    envelopeId: "ENV9",
    letterId: "LET9",
    versionCode: "XR0131K",
    sender: { gln: SENDER_GLN },
    receiver: { gln: RECEIVER_GLN },
  };
  const ids = { envelopeId: "RENV1", letterId: "RLET1" };

  it("a negative receipt without a RefuseCode is rejected", () => {
    const text = buildReceipt({
      type: "XCTL02",
      original,
      refuseCode: "syntaksfejl",
      ids,
      now: "2024-01-01T12:00:00Z",
    });
    const issues = issuesOf(mutate(text, /<RefuseCode>[^<]*<\/RefuseCode>/, ""));
    expect(issues).toContainEqual(
      expect.objectContaining({
        code: OIOXML_ERROR_CODES.REQUIRED_MISSING,
        path: "Emessage/NegativeReceipt/OriginalEmessage/OriginalLetter/RefuseCode",
      }),
    );
  });

  it("only the VANS receipt (XCTL01) may be signed with a network id instead of a GLN", () => {
    const text = buildReceipt({
      type: "XCTL02",
      original,
      refuseCode: "syntaksfejl",
      ids,
      now: "2024-01-01T12:00:00Z",
    });
    const nonGln = mutate(text, /(<Sender><EANIdentifier>)[^<]*/, "$1DKKMDKMDNET");
    expect(issuesOf(nonGln)).toContainEqual(expect.objectContaining({ code: OIOXML_ERROR_CODES.GLN_FORMAT }));
    const vans = nonGln
      .replaceAll("NegativeReceipt>", "NegativeVansReceipt>")
      .replace("XC0230Q", "XC0130Q")
      .replace("<StatisticalCode>XCTL02<", "<StatisticalCode>XCTL01<")
      .replace(/(<OriginalLetter>)/, "<RefuseCode>ikke_specificeret</RefuseCode>$1");
    const result = parseOioxmlMessage(encodeXmlText(vans));
    expect(result.ok, JSON.stringify(result)).toBe(true);
    // An unspecified VANS refusal may be a network fault: transient, not fatal.
    expect(result.ok && result.message.content).toMatchObject({ kind: "acknowledgement", code: "transient-error" });
  });

  it("a receipt never asks for a receipt itself, even with pluspositivkvitt", () => {
    const text = buildReceipt({ type: "XCTL03", original, ids, now: "2024-01-01T12:00:00Z" }).replace(
      "minuspositivkvitt",
      "pluspositivkvitt",
    );
    const result = parseOioxmlMessage(text);
    expect(result.ok && result.message.ackRequested).toBe(false);
  });

  it("check digit helper makes valid GLNs (fixture sanity)", () => {
    expect(withCheckDigit("579000012028")).toBe("5790000120284");
  });
});
