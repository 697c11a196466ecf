import type { ParsedMessage, ParseResult, ValidationIssue } from "@carehub/schemas";
import { describe, expect, it } from "vitest";
import { builders, type Json, path, res } from "../test/broken-message.ts";
import { jsonMessageExamples, xmlMessageExamples } from "../test/examples.ts";
import { INVARIANT_CASES_XML } from "../test/invariant-cases.ts";
import { FHIR_ISSUE_CODES } from "./codes.ts";
import { parseFhirMessage } from "./parse-fhir-message.ts";

const CC_DEFINITION =
  "http://medcomfhir.dk/ig/messagedefinitions/MessageDefinition/MedComCareCommunicationMessageDefinition";
const HCO_DEFINITION =
  "http://medcomfhir.dk/ig/messagedefinitions/MessageDefinition/MedComHomeCareObservationMessageDefinition";
const HCO_PILOT = "http://medcomfhir.dk/ig/homecareobservation/StructureDefinition/medcom-homecare-message";
const SENDER_EXTENSION = "http://medcomfhir.dk/ig/core/StructureDefinition/medcom-core-sender-extension";

const built = (kind: keyof typeof builders): Json => structuredClone(builders[kind]().bundle);
const parse = (bundle: Json) => parseFhirMessage(JSON.stringify(bundle));
const ref = (resource: Json) => ({ reference: `${resource.resourceType}/${resource.id}` });
const codesAndPaths = (issues: ValidationIssue[]) => issues.map((i) => [i.code, i.path]);

function accepted(result: ParseResult): { message: ParsedMessage; warnings: ValidationIssue[] } {
  if (!result.ok) throw new Error(`expected a valid message, got ${JSON.stringify(codesAndPaths(result.issues))}`);
  return { message: result.message, warnings: result.warnings };
}

function rejectedWith(result: ParseResult): Array<[string, string]> {
  expect(result.ok).toBe(false);
  return result.ok ? [] : result.issues.map((i) => [i.code, i.path]);
}

describe("the MedCom invariants hold for FHIR XML as for FHIR JSON", () => {
  it.each(INVARIANT_CASES_XML.map((c) => [c.code, c.name, c] as const))("%s (%s)", (code, _name, c) => {
    const { result, path: expected } = c.run();
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const found = result.issues.filter((i) => i.code === code);
    expect(found.map((i) => i.path)).toContain(expected);
    for (const issue of found) expect(issue.medcomCode).toBe(FHIR_ISSUE_CODES[code].medcom);
  });
});

describe("MessageHeader.definition", () => {
  it("accepts HomeCareObservation's definition without the | (as MedCom's test examples send it)", () => {
    const b = built("hco");
    b.entry[0].resource.definition = `${HCO_DEFINITION}1.1`;
    expect(accepted(parse(b)).warnings).toEqual([]);
  });

  it("accepts two-digit minor versions and refuses three", () => {
    const cc = built("cc");
    cc.entry[0].resource.definition = `${CC_DEFINITION}|5.12`;
    expect(accepted(parse(cc)).warnings).toEqual([]);
    cc.entry[0].resource.definition = `${CC_DEFINITION}|5.123`;
    expect(rejectedWith(parse(cc))).toEqual([
      ["CAREHUB_ERR_FHIR_DEFINITION_INVALID", "Bundle.entry[0].resource.definition"],
    ]);
    const hco = built("hco");
    hco.entry[0].resource.definition = `${HCO_DEFINITION}|1.10`;
    expect(accepted(parse(hco)).warnings).toEqual([]);
  });

  it("does not require a definition of the standards that have none (HospitalNotification)", () => {
    const hn = built("hn");
    expect(hn.entry[0].resource.definition).toBeUndefined();
    expect(accepted(parse(hn)).warnings).toEqual([]);
  });
});

describe("a HomeCareObservation declaring the 2023 pilot profile", () => {
  function pilot(): Json {
    const b = built("hco");
    b.meta.profile = [HCO_PILOT];
    return b;
  }

  it("is accepted without a definition, with a warning", () => {
    const b = pilot();
    delete b.entry[0].resource.definition;
    const { warnings } = accepted(parse(b));
    expect(codesAndPaths(warnings)).toEqual([
      ["CAREHUB_ERR_FHIR_DEFINITION_MISSING", "Bundle.entry[0].resource.definition"],
    ]);
    expect(warnings[0]?.message).toMatch(/earlier release/);
  });

  it("gets the 1.x performer and media rules as warnings", () => {
    const b = pilot();
    res(b, "DiagnosticReport").performer[1].reference = "PractitionerRole/elsewhere";
    const { warnings } = accepted(parse(b));
    expect(codesAndPaths(warnings)).toEqual([
      ["CAREHUB_ERR_FHIR_REFERENCE_UNRESOLVED", `${path(b, "DiagnosticReport")}.performer[1]`],
    ]);
  });

  it("still gets the rules every release has as errors", () => {
    const b = pilot();
    res(b, "DiagnosticReport").status = "preliminary";
    expect(rejectedWith(parse(b))).toEqual([
      ["CAREHUB_ERR_FHIR_HCO_REPORT_STATUS", `${path(b, "DiagnosticReport")}.status`],
    ]);
  });
});

describe("narrative text", () => {
  it("warns, without rejecting, about a resource without narrative", () => {
    const b = built("cc");
    delete res(b, "Patient").text;
    res(b, "Practitioner").text.div = " ";
    const { warnings } = accepted(parse(b));
    expect(codesAndPaths(warnings)).toEqual([
      ["CAREHUB_ERR_FHIR_NARRATIVE_MISSING", `${path(b, "Patient")}.text`],
      ["CAREHUB_ERR_FHIR_NARRATIVE_MISSING", `${path(b, "Practitioner")}.text`],
    ]);
    expect(warnings[0]?.medcomCode).toBe("MSG_BAD_FORMAT");
  });

  it("is present on every resource of every published example, JSON and XML", () => {
    const results = [
      ...jsonMessageExamples().map((e) => parseFhirMessage(e.text)),
      ...xmlMessageExamples().map((e) => parseFhirMessage(e.xml)),
    ];
    expect(results.length).toBeGreaterThan(35);
    for (const result of results)
      expect(accepted(result).warnings.filter((w) => w.code === "CAREHUB_ERR_FHIR_NARRATIVE_MISSING")).toEqual([]);
  });
});

describe("CareCommunication parties that are accepted", () => {
  it("a specific sender of the sending organization", () => {
    const b = built("cc");
    res(b, "Communication").extension = [{ url: SENDER_EXTENSION, valueReference: ref(res(b, "PractitionerRole")) }];
    accepted(parse(b));
  });

  it("a CareTeam recipient managed by the receiving organization", () => {
    const b = built("cc");
    const team = {
      resourceType: "CareTeam",
      id: "team-1",
      text: res(b, "Patient").text,
      managingOrganization: [structuredClone(b.entry[0].resource.destination[0].receiver)],
    };
    b.entry.push({ fullUrl: "https://example.org/fhir/CareTeam/team-1", resource: team });
    res(b, "Communication").recipient = [ref(team)];
    accepted(parse(b));
  });

  it("a recipient whose organization is a second entry for the receiver's SOR unit", () => {
    const b = built("cc");
    const receiverId = b.entry[0].resource.destination[0].receiver.reference.split("/")[1];
    const twin = structuredClone(b.entry.find((e: Json) => e.resource.id === receiverId).resource);
    twin.id = "receiver-twin";
    b.entry.push({ fullUrl: "https://example.org/fhir/Organization/receiver-twin", resource: twin });
    const role = structuredClone(res(b, "PractitionerRole"));
    role.id = "recipient-role";
    role.organization = ref(twin);
    b.entry.push({ fullUrl: "https://example.org/fhir/PractitionerRole/recipient-role", resource: role });
    res(b, "Communication").recipient = [ref(role)];
    accepted(parse(b));
  });

  it("an Encounter that Communication.encounter references", () => {
    const b = built("cc");
    // CC-9: an Encounter is there to carry the episode-of-care identifier.
    const encounter = {
      resourceType: "Encounter",
      id: "enc-1",
      text: res(b, "Patient").text,
      status: "finished",
      episodeOfCare: [
        { identifier: { system: "https://sor2.sum.dsdn.dk/#id=265161000016000", value: "bd481c38-a921-11ed-afa1" } },
      ],
    };
    b.entry.push({ fullUrl: "https://example.org/fhir/Encounter/enc-1", resource: encounter });
    res(b, "Communication").encounter = ref(encounter);
    accepted(parse(b));
  });
});

describe("CareCommunication segments in the content", () => {
  const examples = jsonMessageExamples().filter((e) => e.folder === "carecommunication");
  const byPrefix = (prefix: string) => {
    const example = examples.find((e) => e.name.includes(prefix));
    if (example === undefined) throw new Error(`example ${prefix} not found`);
    return example;
  };
  const content = (prefix: string) => {
    const { message } = accepted(parseFhirMessage(byPrefix(prefix).text));
    if (message.content.kind !== "care-communication") throw new Error("not a CareCommunication");
    return message.content;
  };
  const payloadOf = (prefix: string): Json[] =>
    (byPrefix(prefix).json.entry as Json[]).find((e) => e.resource.resourceType === "Communication").resource.payload;

  it.each(examples.map((e) => [e.name, e] as const))("%s lists every segment by id and type", (_name, example) => {
    const prefix = example.name.split("/").at(-1)?.slice(0, 11) ?? "";
    // Read by hand from the JSON, independently of the parser.
    const expected = payloadOf(prefix).map((p) => ({
      id: p.extension.find((x: Json) => x.url.endsWith("identifier-extension")).valueIdentifier.value,
      type: typeof p.contentString === "string" ? "text" : "attachment",
    }));
    const c = content(prefix);
    expect(c.segments?.map((s) => ({ id: s.id, type: s.type }))).toEqual(expected);
    expect(c.segmentCount).toBe(expected.length);
  });

  it("gives dates, the author's SOR and attachment types, and never the text or the attachment title", () => {
    const c = content("ig-3dcb5618");
    expect(c.segments).toEqual([
      {
        id: "urn:uuid:24d01288-ad36-4af2-96a8-fd1432dadee1",
        type: "text",
        writtenAt: "2024-05-01T12:00:00+02:00",
        authorOrganizationSor: "265161000016000",
      },
      {
        id: "urn:uuid:a9becf76-fc4c-49aa-8a68-6a0584871fcd",
        type: "text",
        writtenAt: "2024-05-02T11:30:00+02:00",
        authorOrganizationSor: "953741000016009",
      },
      expect.objectContaining({ type: "attachment", contentType: "application/pdf" }),
      expect.objectContaining({ id: "urn:uuid:07685582-3a8f-4bf3-bfa0-2f040133e922", type: "text" }),
    ]);
    const text = JSON.stringify(c);
    for (const p of payloadOf("ig-3dcb5618")) {
      if (typeof p.contentString === "string") expect(text).not.toContain(p.contentString.slice(0, 30));
      if (p.contentAttachment?.title !== undefined) expect(text).not.toContain(p.contentAttachment.title);
    }
  });

  it("keeps segment ids across a thread: each reply or forward repeats the earlier segments and adds its own", () => {
    // new → reply → reply → forward, each answering the one before (see their Provenance).
    const thread = ["ig-add5e7e2", "ig-b56549f7", "ig-3dcb5618", "ig-c0426e3e"];
    const ids = thread.map((prefix) => content(prefix).segments?.map((s) => s.id) ?? []);
    for (let i = 1; i < ids.length; i++) {
      const earlier = ids[i - 1] ?? [];
      expect(ids[i]).toEqual(expect.arrayContaining(earlier));
      expect(ids[i]?.length).toBeGreaterThan(earlier.length);
    }
  });
});
