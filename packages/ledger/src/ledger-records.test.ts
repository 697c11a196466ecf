import { readFileSync } from "node:fs";
import { medcomExamplesDir } from "@carehub/testkit";
import { describe, expect, it } from "vitest";
import {
  encodeStoredAcknowledgement,
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
