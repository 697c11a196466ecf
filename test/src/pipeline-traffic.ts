import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { buildLabReport, encodeXmlText } from "@carehub/medcom-xml";
import { hashToken } from "@carehub/registry";
import type { RegistryConfigInput } from "@carehub/schemas";
import { medcomExamplesDir } from "@carehub/testkit/medcom-fixtures";

/**
 * The traffic of the whole-pipeline suites (kill-restart, test/chaos): five endpoints that receive by webhook
 * at `<receiverUrl>/<endpoint id>` (RecordingReceivers), each with the token `token-<endpoint id>`, the operator
 * `operator` (`token-operator`), and message n of a run — a third each of practice lab results (to a colleague
 * and, by the databank rule, the databank), lab results to the practice, and home-care observations.
 */

const HOMECARE = readFileSync(
  medcomExamplesDir("fhir", "homecareobservation", "ig-401cbc36-db1e-4fe0-bf90-6df331dde179.json"),
  "utf8",
);
const HOMECARE_MESSAGE_ID = "489de4f2-0d8d-4de2-a7ce-ccb93568799f";
const HOMECARE_BUNDLE_ID = (JSON.parse(HOMECARE) as { id: string }).id;

const PRACTICE = { gln: "5790000127092" };
const KLAMER = { gln: "5790000125012" };
const LAB = { gln: "5790000120284" };

export interface Outgoing {
  from: string;
  messageId: string;
  contentType: string;
  body: Uint8Array | string;
  /** The endpoints that must get it. */
  to: string[];
  /** The message id of the message this one corrects (it must reach each receiver after that one). */
  corrects?: string;
  /** A message the same sender sends once this one is stored (a correction of it). */
  followedBy?: Outgoing;
}

/** Message n of the run: a third each of practice lab results (to a colleague and the databank), lab results, home-care observations. */
export function pipelineMessage(n: number): Outgoing {
  const id = randomUUID();
  if (n % 3 === 2) {
    return {
      from: "acute-team",
      messageId: id,
      contentType: "application/fhir+json",
      body: HOMECARE.replaceAll(HOMECARE_MESSAGE_ID, id).replaceAll(HOMECARE_BUNDLE_ID, randomUUID()),
      to: ["practice"],
    };
  }
  const fromPractice = n % 3 === 0;
  const letterId = String(10_000_000_000 + n);
  return labResult(fromPractice, letterId, `S${letterId}`, "nytbrev");
}

/**
 * The lab's correction (rettetbrev) of lab result n (n % 3 === 1: from the lab to the practice): the same
 * sample, a letter id of its own. The router links it to the original by sample; the dispatcher delivers it
 * only after the original (Carehub-After).
 */
export function pipelineCorrection(n: number): Outgoing {
  if (n % 3 !== 1) throw new Error(`message ${n} is not a lab result from the lab`);
  const original = String(10_000_000_000 + n);
  return { ...labResult(false, String(20_000_000_000 + n), `S${original}`, "rettetbrev"), corrects: original };
}

function labResult(
  fromPractice: boolean,
  letterId: string,
  sampleId: string,
  statusCode: "nytbrev" | "rettetbrev",
): Outgoing {
  const xml = buildLabReport({
    ids: { envelopeId: `9${letterId}`, letterId },
    now: new Date(),
    statusCode,
    sender: fromPractice ? PRACTICE : LAB,
    receiver: fromPractice ? KLAMER : PRACTICE,
    patient: { cpr: "1212778221" },
    sample: { laboratorySampleId: sampleId },
    results: [
      {
        analysisCode: "NPU01807",
        status: statusCode === "rettetbrev" ? "svar_rettet" : "svar_endeligt",
        value: "5.5",
        unit: "mmol/l",
      },
    ],
  });
  return {
    from: fromPractice ? "practice" : "lab",
    messageId: letterId,
    contentType: "application/xml",
    body: encodeXmlText(xml),
    to: fromPractice ? ["klamer", "databank"] : ["practice"],
  };
}

export function pipelineRegistry(receiverUrl: string, name = "carehub (pipeline)"): RegistryConfigInput {
  const endpoint = (
    id: string,
    kind: "practice" | "laboratory" | "municipality" | "databank",
    identifiers: { sor?: string[]; gln: string[] },
    sends: Array<"lab-result" | "homecare-observation" | "acknowledgement">,
    accepts: Array<"lab-result" | "homecare-observation" | "acknowledgement">,
  ) => ({
    id,
    name: id,
    kind,
    identifiers: { sor: identifiers.sor ?? [], gln: identifiers.gln },
    sends,
    accepts,
    delivery: { mode: "http" as const, url: `${receiverUrl}/${id}`, timeoutMs: 2_000 },
    auth: { tokenSha256: [hashToken(`token-${id}`)] },
  });
  return {
    hub: { id: "carehub", name, sor: "481521000016007", gln: "5790000199990" },
    endpoints: [
      endpoint(
        "practice",
        "practice",
        { sor: ["52581000016005"], gln: [PRACTICE.gln] },
        ["lab-result", "acknowledgement"],
        ["lab-result", "homecare-observation", "acknowledgement"],
      ),
      endpoint("klamer", "practice", { gln: [KLAMER.gln] }, ["acknowledgement"], ["lab-result", "acknowledgement"]),
      endpoint("lab", "laboratory", { gln: [LAB.gln] }, ["lab-result", "acknowledgement"], ["acknowledgement"]),
      endpoint(
        "acute-team",
        "municipality",
        { sor: ["1144561000016002"], gln: ["5790000123117"] },
        ["homecare-observation", "acknowledgement"],
        ["acknowledgement"],
      ),
      endpoint(
        "databank",
        "databank",
        { gln: ["5790000188888"] },
        ["acknowledgement"],
        ["lab-result", "acknowledgement"],
      ),
    ],
    operators: [{ id: "operator", name: "Operator", tokenSha256: [hashToken("token-operator")] }],
    rules: [
      {
        id: "lab-databank-copy",
        when: { kind: "lab-result", senderKind: "practice", consentGiven: true, producedBySender: true },
        copyTo: ["databank"],
      },
    ],
  };
}
