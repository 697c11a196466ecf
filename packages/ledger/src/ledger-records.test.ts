import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { deflateRawSync } from "node:zlib";
import { medcomExamplesDir } from "@carehub/testkit";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ACKNOWLEDGEMENT_DICTIONARY_1 } from "./acknowledgement-dictionary.ts";
import { messageHubId } from "./derived-ids.ts";
import {
  encodeDeliveryRecord,
  encodeFirstCopy,
  encodeStoredAcknowledgement,
  firstCopySchema,
  KEPT_ACKNOWLEDGEMENT_MAX_BYTES,
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

  // Catches: records the previous release kept (deflated without a dictionary, for the whole retention) no longer
  // answering repeats once the dictionary came in.
  it("reads a record the previous release kept (deflated without a dictionary)", () => {
    const { base64, ...labels } = kept;
    const deflated = deflateRawSync(Buffer.from(base64, "base64"), { level: 6 }).toString("base64");
    expect(parseStoredAcknowledgement(JSON.stringify({ ...labels, deflated }))).toEqual(kept);
  });

  // Catches: an edit of the frozen dictionary (every record kept with it would then inflate to garbage or not at all).
  it("keeps dictionary 1 byte for byte as records were written with it", () => {
    const digest = createHash("sha256").update(ACKNOWLEDGEMENT_DICTIONARY_1).digest("hex");
    expect(digest).toBe("a8e25666a7c3132e62689db1d053e511ff17a0ea261ab43a5d72ff7c70a6dcaa");
  });

  // Catches: the dictionary dropped (or not given to deflate): an acknowledgement it was not made from keeps ~3.7
  // times the bytes. The IG's second acknowledgement example is not part of the dictionary.
  it("keeps an acknowledgement the dictionary was not made from in under half of its deflated-alone form", () => {
    const heldOut = Buffer.from(
      JSON.stringify(
        JSON.parse(
          readFileSync(
            medcomExamplesDir("fhir", "acknowledgement", "ig-c9c2b2f6-0807-11ed-861d-0242ac120002.json"),
            "utf8",
          ),
        ),
      ),
    );
    const ack = { ...kept, base64: heldOut.toString("base64") };
    const alone = JSON.stringify({ ...kept, base64: undefined, deflated: deflateRawSync(heldOut).toString("base64") });
    const encoded = encodeStoredAcknowledgement(ack) ?? "";
    expect(encoded.length).toBeLessThan(alone.length / 2);
    expect(parseStoredAcknowledgement(encoded)).toEqual(ack);
  });

  // Catches: the verbose form coming back (each acknowledged message kept its acknowledgement as base64: 4/3 of it).
  it("keeps a FHIR acknowledgement in well under half of its base64 form", () => {
    const compact = (encodeStoredAcknowledgement(kept) ?? "").length;
    expect(compact).toBeLessThan(JSON.stringify(kept).length * 0.4);
  });

  // Catches: an acknowledgement of any size kept (a 20 MB one of repeated bytes keeps ~20 KB, and every repeat of
  // its message would inflate all 20 MB inside the gateway's admit and intake's claim), or the ceiling applied when
  // keeping but not when reading, or the other way round (a record kept under the ceiling that does not read back).
  it("keeps an acknowledgement up to the ceiling, and reads back all it keeps", () => {
    const largest = { ...kept, base64: Buffer.alloc(KEPT_ACKNOWLEDGEMENT_MAX_BYTES, "a").toString("base64") };
    expect(parseStoredAcknowledgement(encodeStoredAcknowledgement(largest))).toEqual(largest);
    const larger = Buffer.alloc(KEPT_ACKNOWLEDGEMENT_MAX_BYTES + 1, "a").toString("base64");
    expect(encodeStoredAcknowledgement({ ...kept, base64: larger })).toBeUndefined();
  });

  // Catches: a record over the ceiling (written by hand, by another release, or bit-flipped) inflated whole, in
  // either deflated form: 48 KB of d1 inflated to 66.7 M characters in 312 ms, the event loop blocked throughout.
  it("reads a record that inflates past the ceiling as unreadable, in both deflated forms", () => {
    const { base64: _, ...labels } = kept;
    const huge = Buffer.alloc(KEPT_ACKNOWLEDGEMENT_MAX_BYTES + 1, "a");
    const d1 = deflateRawSync(huge, { dictionary: ACKNOWLEDGEMENT_DICTIONARY_1 }).toString("base64");
    const deflated = deflateRawSync(huge).toString("base64");
    expect(parseStoredAcknowledgement(JSON.stringify({ ...labels, d1 }))).toBeUndefined();
    expect(parseStoredAcknowledgement(JSON.stringify({ ...labels, deflated }))).toBeUndefined();
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
