import { readFileSync } from "node:fs";
import { medcomExamplesDir } from "@carehub/testkit";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  encodeFirstCopy,
  encodeStoredAcknowledgement,
  firstCopySchema,
  parseFirstCopy,
  parseStoredAcknowledgement,
  type StoredAcknowledgement,
} from "./ledger-records.ts";

// A MedCom FHIR acknowledgement, as a receiver sends it (pretty-printed, as the IG publishes it).
const fhirAck = readFileSync(
  medcomExamplesDir("fhir", "acknowledgement", "ig-a8c041b8-c65a-4fde-a90f-962076918834.json"),
);

const kept: Required<StoredAcknowledgement> = {
  contentType: "application/fhir+json",
  base64: fhirAck.toString("base64"),
  hubId: "0190f3a2-7c1e-7000-8000-000000000002",
  messageId: "a8c041b8-c65a-4fde-a90f-962076918834",
  sourceEndpoint: "hospital",
};

describe("stored acknowledgements", () => {
  // Catches: a kept acknowledgement that reads back as something else than was kept (a repeat answered wrongly).
  it("reads back exactly the acknowledgement and labels that were kept", () => {
    expect(parseStoredAcknowledgement(encodeStoredAcknowledgement(kept))).toEqual(kept);
  });

  // Catches: records written before the deflated form (for the whole retention) no longer answering repeats.
  it("reads a record kept in the former form (the bytes as base64)", () => {
    expect(parseStoredAcknowledgement(JSON.stringify(kept))).toEqual(kept);
  });

  // Catches: the verbose form coming back (each acknowledged message kept its acknowledgement as base64: 4/3 of it).
  it("keeps a FHIR acknowledgement in well under half of its base64 form", () => {
    const compact = encodeStoredAcknowledgement(kept).length;
    expect(compact).toBeLessThan(JSON.stringify(kept).length * 0.4);
  });

  it("reads nothing from a record without the acknowledgement's bytes or that is not JSON", () => {
    expect(parseStoredAcknowledgement(JSON.stringify({ contentType: "application/fhir+json" }))).toBeUndefined();
    expect(parseStoredAcknowledgement("{not json")).toBeUndefined();
    expect(parseStoredAcknowledgement(null)).toBeUndefined();
  });
});

describe("first-copy records", () => {
  // parseFirstCopy checks by hand (it runs on every message); the schema stays the statement of the format.
  const bySchema = (text: string) => {
    if (text === "") return undefined;
    if (!text.startsWith("{")) return { hubId: text };
    try {
      const parsed = firstCopySchema.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  };

  it("reads what was written, and an older record's bare hub id", () => {
    expect(parseFirstCopy(encodeFirstCopy({ hubId: "h-1", seq: 7 }))).toEqual({ hubId: "h-1", seq: 7 });
    expect(parseFirstCopy(encodeFirstCopy({ hubId: "h-1" }))).toEqual({ hubId: "h-1" });
    expect(parseFirstCopy("h-2")).toEqual({ hubId: "h-2" });
    expect(parseFirstCopy(null)).toBeUndefined();
  });

  it("answers as the schema does, for records right and wrong", () => {
    const awkward = [
      '{"hubId":"h","seq":0}',
      '{"hubId":"h","seq":-3}',
      '{"hubId":"h","seq":1.5}',
      '{"hubId":"h","seq":"4"}',
      '{"hubId":"h","seq":null}',
      '{"hubId":"h","seq":9007199254740993}',
      '{"hubId":"","seq":1}',
      '{"hubId":5}',
      '{"seq":1}',
      '{"hubId":"h","seq":2,"extra":true}',
      "{not json",
      "{}",
      '{"hubId":"h"}',
      "[1]",
      "null",
    ];
    for (const text of awkward) expect(parseFirstCopy(text), text).toEqual(bySchema(text));
    fc.assert(
      fc.property(
        fc.record(
          {
            hubId: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
            seq: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(null)),
            other: fc.anything(),
          },
          { requiredKeys: [] },
        ),
        (record) => {
          const text = JSON.stringify(record);
          expect(parseFirstCopy(text)).toEqual(bySchema(text));
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
