import { describe, expect, it } from "vitest";
import { BASE_CPR, RECEIVER_GLN, SENDER_GLN, withCheckDigit } from "../test/fixtures.ts";
import { buildLetter } from "./build-letter.ts";
import { OIOXML_ERROR_CODES } from "./codes.ts";
import { encodeXmlText } from "./encode.ts";
import { LETTER_TYPES, type LetterType } from "./letter-types.ts";
import { parseOioxmlMessage } from "./parse-oioxml.ts";
import type { XmlNodeSpec } from "./xml-writer.ts";

/** The least content each reader needs to accept a letter (from the schemas' required elements). */
function bodyFor(type: LetterType): XmlNodeSpec[] {
  if (type.reader === "lab-result" || type.reader === "pathology-result" || type.reader === "microbiology-result") {
    return [["LaboratoryResults", [["GeneralResultInformation", [["ResultStatusCode", "svar_endeligt"]]]]]];
  }
  return [];
}

function letterOf(
  type: LetterType,
  overrides: { receiver?: string; versionCode?: string; status?: "rettetbrev" } = {},
) {
  return buildLetter({
    element: type.element,
    sender: { gln: SENDER_GLN, name: "Afsender" },
    receiver: { gln: overrides.receiver ?? RECEIVER_GLN },
    ...(type.noPatient ? {} : { cpr: BASE_CPR }),
    ids: { envelopeId: `E-${type.element}`, letterId: `L-${type.element}` },
    now: "2026-03-02T10:15:00+01:00",
    ...(overrides.versionCode === undefined ? {} : { versionCode: overrides.versionCode }),
    ...(overrides.status === undefined ? {} : { statusCode: overrides.status }),
    body: bodyFor(type),
  });
}

const buildable = LETTER_TYPES.filter((t) => t.receipt === undefined);

describe("every MedCom OIOXML letter type", () => {
  // Catches: a letter family refused as "not a letter type carehub handles", or routed without its receiver.
  it.each(buildable.map((t) => [t.element, t] as const))("%s is recognised, validated and addressed", (_, type) => {
    for (const versionCode of type.versionCodes) {
      const result = parseOioxmlMessage(encodeXmlText(letterOf(type, { versionCode })));
      expect(result.ok ? [] : result.issues).toEqual([]);
      if (!result.ok) return;
      expect(result.message.kind).toBe(type.kind);
      expect(result.message.content.kind).toBe(type.kind);
      expect(result.message.messageId).toBe(`L-${type.element}`);
      expect(result.message.envelopeId).toBe(`E-${type.element}`);
      expect(result.message.receivers.map((r) => r.gln)).toEqual([RECEIVER_GLN]);
      expect(result.message.sender.gln).toBe(SENDER_GLN);
      expect(result.message.standard).toBe(type.statisticalCodes[0]);
      expect(result.message.standardVersion).toBe(versionCode);
    }
  });

  // Catches: the envelope of an envelope-routed letter not being checked (a bad receiver GLN routed anyway).
  it.each(buildable.map((t) => [t.element, t] as const))(
    "%s with a receiver GLN failing its check digit is refused",
    (_, type) => {
      const good = RECEIVER_GLN;
      const bad = `${good.slice(0, 12)}${(Number(good[12]) + 1) % 10}`;
      const result = parseOioxmlMessage(encodeXmlText(letterOf(type, { receiver: bad })));
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.issues.map((i) => [i.code, i.path, i.medcomCode])).toContainEqual([
        OIOXML_ERROR_CODES.GLN_CHECK_DIGIT,
        `Emessage/${type.element}/Receiver/EANIdentifier`,
        "ukendt_lokationsnummer",
      ]);
    },
  );

  // Catches: any VersionCode accepted for a letter (a version MedCom never published for that element).
  it("refuses a VersionCode that belongs to another letter", () => {
    const answer = LETTER_TYPES.find((t) => t.element === "AnswerOfAdmission");
    if (answer === undefined) throw new Error("AnswerOfAdmission missing from the table");
    const result = parseOioxmlMessage(encodeXmlText(letterOf(answer, { versionCode: "XD0133L" })));
    expect(result.ok ? [] : result.issues.map((i) => i.code)).toEqual([OIOXML_ERROR_CODES.VERSION_UNSUPPORTED]);
  });

  // Catches: an envelope-routed correction losing the fact that it corrects an earlier letter.
  it("records an envelope-routed letter's family and correction", () => {
    const discharge = LETTER_TYPES.find((t) => t.element === "DischargeLetter");
    if (discharge === undefined) throw new Error("DischargeLetter missing from the table");
    const result = parseOioxmlMessage(encodeXmlText(letterOf(discharge, { status: "rettetbrev" })));
    expect(result.ok && result.message.content).toEqual({
      kind: "letter",
      letterType: "XDIS01",
      family: "discharge",
      corrected: true,
      cancelled: false,
    });
  });

  // Catches: an unknown element routed as if it were a MedCom letter.
  it("still refuses an element MedCom never defined", () => {
    const discharge = letterOf(LETTER_TYPES.find((t) => t.element === "DischargeLetter") as LetterType);
    const result = parseOioxmlMessage(encodeXmlText(discharge.replaceAll("DischargeLetter", "HolidayLetter")));
    expect(result.ok ? [] : result.issues.map((i) => [i.code, i.path])).toEqual([
      [OIOXML_ERROR_CODES.UNSUPPORTED_LETTER, "Emessage/HolidayLetter"],
    ]);
  });

  // Catches: a copy holder with no EAN (the 2005 schemas' CCReceiver) refusing the whole letter.
  it("does not route to a CCReceiver that has no EANIdentifier, and still routes to the receiver", () => {
    const type = LETTER_TYPES.find((t) => t.element === "CervixcytologyReport") as LetterType;
    const letter = letterOf(type).replace(
      "<Patient>",
      "<CCReceiver><Identifier>069248</Identifier><IdentifierCode>ydernummer</IdentifierCode></CCReceiver><Patient>",
    );
    const result = parseOioxmlMessage(encodeXmlText(letter));
    expect(result.ok ? result.message.receivers.map((r) => r.gln) : result.issues).toEqual([RECEIVER_GLN]);
  });

  // Catches: a CCReceiver's EAN no longer checked once the copy holder rule was relaxed.
  it("still checks a CCReceiver's EANIdentifier when it has one", () => {
    const type = LETTER_TYPES.find((t) => t.element === "DischargeLetter") as LetterType;
    const cc = withCheckDigit("579000012345");
    const badCc = `${cc.slice(0, 12)}${(Number(cc[12]) + 1) % 10}`;
    const letter = letterOf(type).replace(
      "<Patient>",
      `<CCReceiver><EANIdentifier>${badCc}</EANIdentifier></CCReceiver><Patient>`,
    );
    const result = parseOioxmlMessage(encodeXmlText(letter));
    expect(result.ok ? [] : result.issues.map((i) => i.code)).toEqual([OIOXML_ERROR_CODES.GLN_CHECK_DIGIT]);
  });
});
