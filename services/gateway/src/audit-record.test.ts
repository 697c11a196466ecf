import { AuditRecord } from "@carehub/schemas";
import { describe, expect, it } from "vitest";
import { auditQuery, buildAuditRecord, cprNumbersIn, resultOfStatus } from "./audit-record.ts";

const hash = (identifier: string) => `h(${identifier.replace("-", "")})`;

describe("access records", () => {
  it("finds CPR numbers as the logger's scrubber does, not other digit runs", () => {
    expect(cprNumbersIn("a 2509479989 b 250947-9989")).toEqual(["2509479989", "250947-9989"]);
    expect(cprNumbersIn("seq 9999999999, 12345678901, 0101")).toEqual([]);
  });

  it("keeps listing filters but drops a value that carries a patient identifier, keeping only its keyed hash", () => {
    expect(auditQuery({ sender: "gp-1", kind: "referral", cursor: "abc", limit: "5" }, hash)).toEqual({
      sender: "gp-1",
      kind: "referral",
    });
    expect(auditQuery({ receiver: "2509479989", cpr: "250947-9989", "0101011234": "x" }, hash)).toEqual({
      otherParameters: ["cpr", "[CPR]"],
      patientFilter: true,
      patientHashes: ["h(2509479989)"],
    });
    // Without the key only the fact that a patient filter was used.
    expect(auditQuery({ patient: "someone" })).toEqual({ otherParameters: ["patient"], patientFilter: true });
    expect(auditQuery(undefined)).toEqual({});
  });

  it("builds a record the schema accepts, counting results only when the request succeeded", () => {
    const base = {
      id: "0190-audit",
      at: new Date("2025-01-02T03:04:05Z"),
      request: { id: "r-1", method: "GET", userAgent: "x 2509479989" },
    };
    const ok = buildAuditRecord({
      ...base,
      status: 200,
      facts: { action: "message.read", actor: { type: "operator", id: "ops" }, resources: [], count: 1 },
    });
    expect(AuditRecord.parse(ok)).toEqual(ok);
    expect(ok.outcome).toEqual({ status: 200, result: "ok", count: 1 });
    expect(ok.request.userAgent).toBe("x [CPR]");
    const denied = buildAuditRecord({
      ...base,
      status: 404,
      code: "CAREHUB_ERR_QUERY_NOT_FOUND",
      facts: {
        action: "message.read",
        actor: { type: "endpoint", id: "gp-1" },
        resources: [],
        result: "denied",
        count: 1,
      },
    });
    expect(denied.outcome).toEqual({ status: 404, result: "denied", count: 0, code: "CAREHUB_ERR_QUERY_NOT_FOUND" });
    expect([200, 400, 401, 404, 500, 503].map(resultOfStatus)).toEqual([
      "ok",
      "invalid",
      "unauthenticated",
      "not-found",
      "failed",
      "failed",
    ]);
  });
});
