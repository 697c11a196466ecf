import { describe, expect, it } from "vitest";
import { isPatientKey, redactPatientData, scrubText } from "./patient-data.ts";

describe("scrubText", () => {
  it("replaces CPR numbers with and without the dash, anywhere in a text", () => {
    expect(scrubText("0101901234")).toBe("[CPR]");
    expect(scrubText("patient 010190-1234 arrived")).toBe("patient [CPR] arrived");
    expect(scrubText("Patient/3112991234x and cpr:2902001111")).toBe("Patient/[CPR]x and cpr:[CPR]");
  });

  it("leaves numbers that cannot be a CPR (bad day or month, part of a longer digit run)", () => {
    expect(scrubText("3213901234")).toBe("3213901234"); // month 13
    expect(scrubText("0001901234")).toBe("0001901234"); // day 00
    expect(scrubText("seq 17322456789012")).toBe("seq 17322456789012");
    expect(scrubText("5790000123456")).toBe("5790000123456"); // a GLN
  });
});

describe("redactPatientData", () => {
  it("scrubs nested strings and redacts patient keys wholesale", () => {
    const out = redactPatientData({
      note: "about 0101901234",
      list: ["x", "010190-1234", { deep: ["2101851234"] }],
      patient: { name: "Jens", id: "0101901234" },
      patientId: "abc",
      civil_registration_number: "0101901234",
      patientCpr: "0101901234",
      count: 3,
    });
    expect(out).toEqual({
      note: "about [CPR]",
      list: ["x", "[CPR]", { deep: ["[CPR]"] }],
      patient: "[REDACTED]",
      patientId: "[REDACTED]",
      civil_registration_number: "[REDACTED]",
      patientCpr: "[REDACTED]",
      count: 3,
    });
  });

  it("keeps Errors as Errors with scrubbed message, stack, properties and cause", () => {
    const cause = new Error("inner 0101901234");
    const error = Object.assign(new TypeError("bad 010190-1234", { cause }), {
      cpr: "0101901234",
      detail: "x 0101901234",
    });
    const out = redactPatientData(error) as Error & Record<string, unknown>;
    expect(out).toBeInstanceOf(Error);
    expect(out.name).toBe("TypeError");
    expect(out.message).toBe("bad [CPR]");
    expect(out.stack).toContain("bad [CPR]");
    expect(out.stack).not.toMatch(/010190/);
    expect(out.cpr).toBe("[REDACTED]");
    expect(out.detail).toBe("x [CPR]");
    expect((out.cause as Error).message).toBe("inner [CPR]");
  });

  it("survives cycles", () => {
    const a: Record<string, unknown> = { text: "0101901234" };
    a.self = a;
    const out = redactPatientData(a) as Record<string, unknown>;
    expect(out.text).toBe("[CPR]");
    expect(out.self).toBe(out);
  });

  it("recognises patient keys in several spellings", () => {
    for (const key of ["cpr", "CPR", "cprNumber", "civilRegistrationNumber", "patient", "patientId", "patient_id"]) {
      expect(isPatientKey(key)).toBe(true);
    }
    for (const key of ["hubId", "description", "kind", "endpoint"]) expect(isPatientKey(key)).toBe(false);
  });
});
