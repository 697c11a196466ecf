import { describe, expect, it } from "vitest";
import { jsonMessageExamples } from "../../test/examples.ts";
import { fhirXmlToJson } from "./fhir-xml-to-json.ts";
import { serializeFhirXml } from "./serialize-fhir-xml.ts";

const NS = 'xmlns="http://hl7.org/fhir"';

function convert(xml: string): unknown {
  const result = fhirXmlToJson(xml);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.value;
}

describe("fhirXmlToJson", () => {
  it("makes arrays of repeating elements only, as the R4 definitions say", () => {
    const json = convert(
      `<Patient ${NS}><id value="p1"/><identifier><value value="a"/></identifier><gender value="female"/>` +
        `<name><family value="Hansen"/><given value="Anne"/><given value="Marie"/></name></Patient>`,
    );
    expect(json).toEqual({
      resourceType: "Patient",
      id: "p1",
      identifier: [{ value: "a" }],
      gender: "female",
      name: [{ family: "Hansen", given: ["Anne", "Marie"] }],
    });
  });

  it("types booleans, integers and decimals", () => {
    const json = convert(
      `<Observation ${NS}><status value="final"/><code><text value="x"/></code>` +
        `<valueQuantity><value value="38.70"/><unit value="Cel"/></valueQuantity></Observation>`,
    );
    expect(json).toMatchObject({ valueQuantity: { value: 38.7, unit: "Cel" } });
    expect(convert(`<Patient ${NS}><active value="true"/><multipleBirthInteger value="2"/></Patient>`)).toEqual({
      resourceType: "Patient",
      active: true,
      multipleBirthInteger: 2,
    });
  });

  it("puts primitive ids and extensions in _field, aligned for repeating primitives", () => {
    const json = convert(
      `<Patient ${NS}><birthDate id="b" value="1947-09-25"><extension url="http://x/ext"><valueString value="approx"/></extension></birthDate>` +
        `<name><given value="A"/><given><extension url="http://x/absent"><valueCode value="unknown"/></extension></given></name></Patient>`,
    );
    expect(json).toEqual({
      resourceType: "Patient",
      birthDate: "1947-09-25",
      _birthDate: { id: "b", extension: [{ url: "http://x/ext", valueString: "approx" }] },
      name: [{ given: ["A", null], _given: [null, { extension: [{ url: "http://x/absent", valueCode: "unknown" }] }] }],
    });
  });

  it("keeps the narrative div as an XHTML string", () => {
    const json = convert(
      `<Patient ${NS}><text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtml"><p>Hej &amp; <b>velkommen</b></p></div></text></Patient>`,
    ) as { text: { div: string } };
    expect(json.text.div).toBe('<div xmlns="http://www.w3.org/1999/xhtml"><p>Hej &amp; <b>velkommen</b></p></div>');
  });

  it("unwraps contained and Bundle.entry resources", () => {
    const json = convert(
      `<Bundle ${NS}><type value="message"/><entry><fullUrl value="urn:uuid:1"/><resource><Observation><id value="o"/>` +
        `<contained><Patient><id value="p"/></Patient></contained><status value="final"/></Observation></resource></entry></Bundle>`,
    );
    expect(json).toEqual({
      resourceType: "Bundle",
      type: "message",
      entry: [
        {
          fullUrl: "urn:uuid:1",
          resource: {
            resourceType: "Observation",
            id: "o",
            contained: [{ resourceType: "Patient", id: "p" }],
            status: "final",
          },
        },
      ],
    });
  });

  it("decodes character references in values", () => {
    expect(convert(`<Patient ${NS}><id value="a&amp;b"/><gender value="&#102;&#x65;male"/></Patient>`)).toEqual({
      resourceType: "Patient",
      id: "a&b",
      gender: "female",
    });
  });

  it("reports unknown elements, repeated singletons and mistyped values with paths", () => {
    const bad = fhirXmlToJson(
      `<Bundle ${NS}><type value="message"/><type value="document"/><colour value="red"/>` +
        `<entry><resource><Patient><active value="yes"/></Patient></resource></entry><entry><resource><Unicorn/></resource></entry></Bundle>`,
    );
    expect(bad.ok ? [] : bad.issues.map((i) => [i.code, i.path])).toEqual([
      ["CAREHUB_ERR_FHIR_XML_UNKNOWN_ELEMENT", "Bundle.type"],
      ["CAREHUB_ERR_FHIR_XML_UNKNOWN_ELEMENT", "Bundle.colour"],
      ["CAREHUB_ERR_FHIR_XML_VALUE", "Bundle.entry[0].resource.active"],
      ["CAREHUB_ERR_FHIR_XML_UNKNOWN_ELEMENT", "Bundle.entry[1].resource"],
    ]);
  });

  it("requires one root element in the FHIR namespace that is a resource", () => {
    const code = (xml: string) => {
      const r = fhirXmlToJson(xml);
      return r.ok ? undefined : r.issues[0]?.code;
    };
    expect(code(`<Bundle xmlns="http://hl7.org/fhir/other"/>`)).toBe("CAREHUB_ERR_FHIR_XML_NAMESPACE");
    expect(code(`<Coding ${NS}/>`)).toBe("CAREHUB_ERR_FHIR_XML_UNKNOWN_ELEMENT");
    expect(code(`<Bundle ${NS}/><Bundle ${NS}/>`)).toBe("CAREHUB_ERR_FHIR_XML_SYNTAX");
    expect(code("not xml at all")).toBe("CAREHUB_ERR_FHIR_XML_SYNTAX");
  });

  it("gives back exactly the JSON of every MedCom example after a trip through XML", () => {
    for (const example of jsonMessageExamples()) expect(convert(serializeFhirXml(example.json))).toEqual(example.json);
  });
});
