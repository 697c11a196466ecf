import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseFhirMessage } from "./parse-fhir-message.ts";

/*
 * The carehub status-update profile carries `planned` with its expected window (issue 12): the example in
 * schemas/profiles/examples reads back as that status and window. Catches the window dropped by the reader
 * (the hub would fold a plan without its window) or `planned` missing from the vocabulary (refused outright).
 */
const example = new URL("../../../schemas/profiles/examples/status-update-planned.json", import.meta.url);

describe("planned status update", () => {
  it("reads the profile example as planned with its window", () => {
    const result = parseFhirMessage(readFileSync(example));
    expect(result.ok ? [] : result.issues).toEqual([]);
    expect(result.ok && result.message.content).toMatchObject({
      kind: "status-update",
      subject: { type: "referral" },
      status: "planned",
      plannedWindow: { start: "2026-03-16T00:00:00+01:00", end: "2026-03-27T23:59:59+01:00" },
    });
  });

  it("refuses a window whose start is not a time", () => {
    const bundle = JSON.parse(readFileSync(example, "utf8"));
    const text = JSON.stringify(bundle).replace('"start":"2026-03-16T00:00:00+01:00"', '"start":"next spring"');
    const result = parseFhirMessage(Buffer.from(text));
    expect(result.ok).toBe(false);
  });
});
