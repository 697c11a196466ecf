import { parseFhirMessage } from "@carehub/medcom-fhir";
import { describe, expect, it } from "vitest";
import { buildStatusReturn, type StatusReturnEffect } from "./status-return.ts";

/*
 * A status the originator was not told is returned by the hub (docs/contracts.md). For `planned` (issue 12) the
 * fact's time is its expected window: the return must state it as the window, or the practice would learn its
 * referral is planned without learning when.
 */
const HUB = { id: "carehub", name: "carehub (test)", sor: "481521000016007", gln: "5790000199990" };
const PRACTICE = { sor: "1144561000016002", gln: "5790000123117", name: "Lægerne i Byen" };
const WINDOW = { start: "2026-04-13T00:00:00.000Z", end: "2026-04-24T22:00:00.000Z" };

function effect(status: StatusReturnEffect["status"]): StatusReturnEffect {
  return {
    id: `return:referral:practice:REF-1:${status}@1`,
    type: "status-return",
    cause: "hub-1",
    from: "received",
    originator: "practice",
    status,
    occurredAt: Date.parse("2026-04-02T10:00:00Z"),
    appointment: WINDOW,
  };
}

describe("status return", () => {
  it("states a planned referral's window as its plannedWindow", () => {
    const subject = { type: "referral" as const, id: "REF-1", originator: "practice" };
    const built = buildStatusReturn(
      "test",
      subject,
      effect("planned"),
      HUB,
      PRACTICE,
      new Date("2026-04-02T10:01:00Z"),
    );
    const parsed = parseFhirMessage(Buffer.from(built.json));
    expect(parsed.ok ? [] : parsed.issues).toEqual([]);
    expect(parsed.ok && parsed.message.content).toMatchObject({
      kind: "status-update",
      status: "planned",
      plannedWindow: WINDOW,
    });
  });
});
