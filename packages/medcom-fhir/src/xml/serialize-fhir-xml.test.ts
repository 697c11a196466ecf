import { describe, expect, it } from "vitest";
import { FhirXmlSerializeError, serializeFhirXml } from "./serialize-fhir-xml.ts";

describe("serializeFhirXml", () => {
  it("writes elements in definition order, attributes for id and url, value attributes for primitives", () => {
    const xml = serializeFhirXml({
      resourceType: "Patient",
      gender: "female",
      extension: [{ url: "http://x/e", valueBoolean: true }],
      id: "p1",
      name: [{ id: "n1", given: ["A", "B"], family: "Hansen" }],
    });
    expect(xml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Patient xmlns="http://hl7.org/fhir"><id value="p1"/>' +
        '<extension url="http://x/e"><valueBoolean value="true"/></extension>' +
        '<name id="n1"><family value="Hansen"/><given value="A"/><given value="B"/></name><gender value="female"/></Patient>',
    );
  });

  it("escapes text and keeps line breaks", () => {
    const xml = serializeFhirXml({
      resourceType: "Basic",
      id: "x",
      extension: [{ url: "u", valueString: 'a<b & "c"\nd' }],
    });
    expect(xml).toContain('<valueString value="a&lt;b &amp; &quot;c&quot;&#10;d"/>');
  });

  it("writes nested resources inside their element", () => {
    const xml = serializeFhirXml({
      resourceType: "Bundle",
      type: "message",
      entry: [{ resource: { resourceType: "Patient", id: "p" } }],
    });
    expect(xml).toContain('<entry><resource><Patient><id value="p"/></Patient></resource></entry>');
  });

  it("refuses JSON with an element FHIR R4 does not define", () => {
    expect(() => serializeFhirXml({ resourceType: "Patient", colour: "red" })).toThrow(FhirXmlSerializeError);
    expect(() => serializeFhirXml({ resourceType: "Unicorn" })).toThrow(
      /CAREHUB_ERR_FHIR_XML_SERIALIZE|not a FHIR R4 resource/,
    );
    const thrown = (() => {
      try {
        serializeFhirXml({ resourceType: "Patient", colour: "red" });
        return undefined;
      } catch (error) {
        return error;
      }
    })();
    expect(thrown).toBeInstanceOf(FhirXmlSerializeError);
    expect((thrown as FhirXmlSerializeError).code).toBe("CAREHUB_ERR_FHIR_XML_SERIALIZE");
    expect((thrown as FhirXmlSerializeError).retryable).toBe(false);
  });
});
