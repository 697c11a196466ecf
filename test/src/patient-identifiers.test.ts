import { describe, expect, it } from "vitest";
import { cprShapesIn } from "./patient-identifiers.ts";

describe("cprShapesIn (the e2e suites' leak detector)", () => {
  it("finds a CPR however it is written, in any field", () => {
    expect(cprShapesIn({ issues: [{ message: "patient 1212778221" }] })).toEqual(["1212778221"]);
    expect(cprShapesIn({ a: { b: ["x", "CPR 121277-8221 invalid"] } })).toEqual(["121277-8221"]);
    expect(cprShapesIn({ path: "Patient/121277 8221" })).toEqual(["121277 8221"]);
    expect(cprShapesIn({ "0101604896": true })).toEqual(["0101604896"]);
  });

  it("leaves longer identifiers, UUIDs and timestamps alone", () => {
    const event = {
      hubId: "a8c041b8-c65a-4fde-a90f-962076918834",
      gln: "5790000123117",
      letter: "80901082504854",
      sor: "1144561000016002",
      at: "2026-12-06T08:09:00.123Z",
    };
    expect(cprShapesIn(event)).toEqual([]);
  });
});
