import { readFileSync } from "node:fs";
import { medcomExamplesDir } from "@carehub/testkit";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { messageHubId } from "./derived-ids.ts";
import {
  encodeDeliveryRecord,
  encodeFirstCopy,
  encodeStoredAcknowledgement,
  firstCopySchema,
  parseDeliveryRecord,
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
  const derived = messageHubId("carehub", "practice-1", "6564b36b-c578-4b35-a070-58015fca5a1b");

  // Catches: the position-alone form read without the key's hub id (as hub id "42", or a repeat not seen), or
  // written for a hub id its key does not derive (the record would then name the wrong message).
  it("keeps a first copy of the hub id its key derives as its position alone, and reads it back", () => {
    expect(encodeFirstCopy({ hubId: derived, seq: 42 }, derived)).toBe("42");
    expect(parseFirstCopy("42", derived)).toEqual({ hubId: derived, seq: 42 });
    expect(parseFirstCopy("42", undefined)).toBeUndefined();
    const other = { hubId: "0190f3a2-7c1e-7000-8000-000000000002", seq: 42 };
    expect(parseFirstCopy(encodeFirstCopy(other, derived), derived)).toEqual(other);
    expect(parseFirstCopy(encodeFirstCopy({ hubId: derived }, derived), derived)).toEqual({ hubId: derived });
  });

  // Catches: an upgrade that no longer reads the records of older releases (repeats delivered again).
  it("reads the JSON and bare hub id records of older releases", () => {
    expect(parseFirstCopy(JSON.stringify({ hubId: derived, seq: 3 }), derived)).toEqual({ hubId: derived, seq: 3 });
    expect(parseFirstCopy(derived, derived)).toEqual({ hubId: derived });
    expect(parseFirstCopy("h-1", undefined)).toEqual({ hubId: "h-1" });
    expect(parseFirstCopy("", derived)).toBeUndefined();
  });
});

describe("delivery records", () => {
  const record = { attempt: 3, durationMs: 41, at: "2026-12-06T17:14:18.123Z", copy: 123_456 };

  // Catches: a delivery record that reads back otherwise (the `delivered` event published again with another
  // attempt or time, a re-send copying another OUTBOX message), or that takes the JSON's room again.
  it("keeps a delivery record in about a third of its JSON and reads it back", () => {
    const stored = encodeDeliveryRecord(record);
    expect(stored).toBe("3,41,1796577258123,123456");
    expect(parseDeliveryRecord(stored)).toEqual(record);
    const { copy: _copy, ...withoutCopy } = record;
    expect(parseDeliveryRecord(encodeDeliveryRecord(withoutCopy))).toEqual(withoutCopy);
  });

  // Catches: an upgrade that no longer reads the delivered markers older releases wrote (JSON), for the whole
  // retention: their re-sends would find no copy.
  it("reads the JSON of older releases, and something unreadable as a neutral record", () => {
    expect(parseDeliveryRecord(JSON.stringify(record))).toEqual(record);
    expect(parseDeliveryRecord("{not json")).toEqual({ attempt: 1, durationMs: 0, at: new Date(0).toISOString() });
    expect(parseDeliveryRecord("x,y")).toEqual({ attempt: 1, durationMs: 0, at: new Date(0).toISOString() });
  });
});

describe("first-copy records in JSON, read by hand", () => {
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
    expect(parseFirstCopy(encodeFirstCopy({ hubId: "h-1", seq: 7 }, undefined), undefined)).toEqual({
      hubId: "h-1",
      seq: 7,
    });
    expect(parseFirstCopy(encodeFirstCopy({ hubId: "h-1" }, undefined), undefined)).toEqual({ hubId: "h-1" });
    expect(parseFirstCopy("h-2", undefined)).toEqual({ hubId: "h-2" });
    expect(parseFirstCopy(null, undefined)).toBeUndefined();
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
    for (const text of awkward) expect(parseFirstCopy(text, undefined), text).toEqual(bySchema(text));
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
          expect(parseFirstCopy(text, undefined)).toEqual(bySchema(text));
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
