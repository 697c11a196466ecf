// Writes one example Bundle per carehub FHIR profile into schemas/profiles/examples/, built by this package's
// builders from the shared sample inputs. Run: node packages/medcom-fhir/scripts/generate-profile-examples.ts [--check]
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  buildLabResult,
  buildNotification,
  buildReferral,
  buildStatusUpdate,
  buildTaskRequisition,
} from "../src/index.ts";
import * as sample from "../test/sample-inputs.ts";

const outDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "schemas", "profiles", "examples");

const examples: Record<string, object> = {
  "referral.json": buildReferral(sample.referral).bundle,
  "task-requisition.json": buildTaskRequisition(sample.taskRequisition).bundle,
  "notification.json": buildNotification(sample.notification).bundle,
  // A practice's own lab result: what the hub translates into XRPT01 for the lab databanks (docs/databank-mapping.md).
  "lab-result.json": buildLabResult(sample.labResult).bundle,
  "status-update.json": buildStatusUpdate(sample.statusUpdate).bundle,
  "status-update-task.json": buildStatusUpdate({
    ...sample.base(9, sample.MUNICIPALITY, sample.PRACTICE),
    link: { type: "reply", to: { messageId: sample.taskRequisition.ids.messageHeaderId } },
    subject: { type: "task", id: sample.taskRequisition.task.id },
    status: "completed",
    occurredAt: "2026-03-09T14:00:00+01:00",
  }).bundle,
  // The hospital received the practice's referral (a status about the referral itself, addressed to the
  // originator that sent it: docs/architecture.md, "Who may state which fact").
  "status-update-referral.json": buildStatusUpdate({
    ...sample.base(10, sample.HOSPITAL, sample.PRACTICE),
    patient: sample.statusUpdate.patient,
    link: { type: "reply", to: { messageId: sample.referral.ids.messageHeaderId } },
    subject: { type: "referral", id: sample.referral.referral.id },
    status: "received",
    occurredAt: "2026-03-02T11:00:00+01:00",
  }).bundle,
  // The municipality that will perform the referred rehabilitation has agreed it with the patient but not yet
  // booked it: `planned` with the expected window (issue 12).
  "status-update-planned.json": buildStatusUpdate({
    ...sample.base(11, sample.MUNICIPALITY, sample.PRACTICE),
    patient: sample.statusUpdate.patient,
    link: { type: "reply", to: { messageId: sample.referral.ids.messageHeaderId } },
    subject: { type: "referral", id: sample.referral.referral.id },
    status: "planned",
    occurredAt: "2026-03-03T09:00:00+01:00",
    plannedWindow: { start: "2026-03-16T00:00:00+01:00", end: "2026-03-27T23:59:59+01:00" },
  }).bundle,
};

const check = process.argv.includes("--check");
const drifted: string[] = [];
if (!check) mkdirSync(outDir, { recursive: true });
for (const [file, bundle] of Object.entries(examples)) {
  const text = `${JSON.stringify(bundle, null, 2)}\n`;
  const path = join(outDir, file);
  const current = existsSync(path) ? readFileSync(path, "utf8") : undefined;
  if (current === text) continue;
  if (check) drifted.push(file);
  else writeFileSync(path, text);
}
if (check && drifted.length > 0) {
  console.error(`schemas/profiles/examples is out of date (${drifted.join(", ")}); run the script without --check`);
  process.exit(1);
}
console.log(check ? "profile examples are up to date" : `wrote ${Object.keys(examples).length} examples to ${outDir}`);
