import { AuditRecord } from "@carehub/schemas";
import { describe, expect, it } from "vitest";
import { appliedQuery, buildAuditRecord, refusedQuery, resultOfStatus } from "./audit-record.ts";

describe("access records", () => {
  it("name the filters a listing applied, a patient filter only by its keyed hash", () => {
    expect(appliedQuery({ sender: "gp-1", kind: "referral" })).toEqual({ sender: "gp-1", kind: "referral" });
    expect(appliedQuery({ receiver: "gp-1" }, "hash-of-the-patient")).toEqual({
      receiver: "gp-1",
      patientHash: "hash-of-the-patient",
    });
    // A value that looks like a CPR number is scrubbed all the same.
    expect(appliedQuery({ sender: "2509479989" })).toEqual({ sender: "[CPR]" });
    expect(appliedQuery({})).toEqual({});
  });

  it("name a refused request's unknown parameters, scrubbed, and nothing as applied", () => {
    expect(refusedQuery(["cpr", "0101011234"])).toEqual({ otherParameters: ["cpr", "[CPR]"] });
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
