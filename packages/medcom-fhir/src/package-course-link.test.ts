import { describe, expect, it } from "vitest";
import { referral, taskRequisition } from "../test/sample-inputs.ts";
import { buildReferral } from "./build/referral.ts";
import { buildTaskRequisition } from "./build/task-requisition.ts";
import { parseFhirMessage } from "./parse-fhir-message.ts";

/*
 * A referral or task that belongs to a package course names the package referral in `basedOn` (a logical
 * reference in the referral-id naming system; docs/contracts.md, "Package courses"). Catches the link dropped by
 * the builder or the reader: the hub would file the item outside its course, and the practice's overview would
 * miss it.
 */
describe("package course link", () => {
  it("a referral names its package referral in ServiceRequest.basedOn and reads back with it", () => {
    const built = buildReferral({
      ...referral,
      referral: { ...referral.referral, id: "ref-rehab-1", category: "municipal", packageReferralId: "ref-2026-0001" },
    });
    const result = parseFhirMessage(Buffer.from(built.json));
    expect(result.ok ? [] : result.issues).toEqual([]);
    expect(result.ok && result.message.content).toMatchObject({ kind: "referral", packageReferralId: "ref-2026-0001" });
  });

  it("a task names its package referral in Task.basedOn and reads back with it", () => {
    const built = buildTaskRequisition({
      ...taskRequisition,
      task: { ...taskRequisition.task, packageReferralId: "P-9" },
    });
    const result = parseFhirMessage(Buffer.from(built.json));
    expect(result.ok ? [] : result.issues).toEqual([]);
    expect(result.ok && result.message.content).toMatchObject({ kind: "task-requisition", packageReferralId: "P-9" });
  });

  it("a referral without basedOn belongs to no package", () => {
    const result = parseFhirMessage(Buffer.from(buildReferral(referral).json));
    expect(result.ok && "packageReferralId" in result.message.content).toBe(false);
  });
});
