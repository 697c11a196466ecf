import { ParsedMessage, type ParseResult } from "@carehub/schemas";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsonMessageExamples } from "../test/examples.ts";
import * as sample from "../test/sample-inputs.ts";
import { buildAcknowledgement } from "./build/acknowledgement.ts";
import { buildCareCommunication } from "./build/care-communication.ts";
import { buildHomeCareObservation } from "./build/homecare-observation.ts";
import { buildHospitalNotification } from "./build/hospital-notification.ts";
import { buildReferral } from "./build/referral.ts";
import { buildStatusUpdate } from "./build/status-update.ts";
import { buildTaskRequisition } from "./build/task-requisition.ts";
import { FHIR_ISSUE_CODES } from "./codes.ts";
import { parseFhirMessage } from "./parse-fhir-message.ts";
import { serializeFhirXml } from "./xml/serialize-fhir-xml.ts";

/** A hang detector, not a performance check: a typical parse takes well under a millisecond. */
const PER_MESSAGE_BOUND_MS = 2_000;

const seeds: object[] = [
  buildCareCommunication(sample.careCommunication).bundle,
  buildHomeCareObservation(sample.homeCareObservation).bundle,
  buildHospitalNotification(sample.hospitalNotification).bundle,
  buildReferral(sample.referral).bundle,
  buildTaskRequisition(sample.taskRequisition).bundle,
  buildStatusUpdate(sample.statusUpdate).bundle,
  buildAcknowledgement(sample.acknowledgement).bundle,
  ...jsonMessageExamples()
    .filter((_, i) => i % 4 === 0)
    .map((e) => e.json),
];
const xmlSeeds = seeds.slice(0, 7).map((s) => serializeFhirXml(s));

type Container = Record<string, unknown> | unknown[];
/** Every (container, key) slot of a JSON tree, depth first. */
function slots(root: unknown): Array<[Container, string | number]> {
  const out: Array<[Container, string | number]> = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node))
      node.forEach((v, i) => {
        out.push([node, i]);
        walk(v);
      });
    else if (typeof node === "object" && node !== null)
      for (const [k, v] of Object.entries(node)) {
        out.push([node as Record<string, unknown>, k]);
        walk(v);
      }
  };
  walk(root);
  return out;
}

type Mutation =
  | { op: "delete" | "duplicate" | "retype"; at: number }
  | { op: "replace"; at: number; value: unknown }
  | { op: "truncate" | "flip"; at: number; char: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constantFrom("delete" as const, "duplicate" as const, "retype" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("replace" as const), at: fc.nat(), value: fc.jsonValue({ maxDepth: 2 }) }),
  fc.record({
    op: fc.constantFrom("truncate" as const, "flip" as const),
    at: fc.nat(),
    char: fc.constantFrom("{", "}", "[", "]", '"', ",", ":", "\\", "<", "&", "\u0000", "é", "9"),
  }),
);

function retyped(value: unknown): unknown {
  if (typeof value === "string") return value.length;
  if (typeof value === "number") return String(value);
  if (typeof value === "boolean") return value ? "true" : 0;
  if (Array.isArray(value)) return { ...value };
  if (typeof value === "object" && value !== null) return Object.values(value);
  return {};
}

/** Applies tree mutations to a copy of the seed, then text mutations to its JSON. */
function mutate(seed: object, mutations: Mutation[]): string {
  const tree = structuredClone(seed);
  const textOps: Mutation[] = [];
  for (const m of mutations) {
    if (m.op === "truncate" || m.op === "flip") {
      textOps.push(m);
      continue;
    }
    const all = slots(tree);
    const slot = all[m.at % Math.max(all.length, 1)];
    if (slot === undefined) continue;
    const [container, key] = slot;
    const current = (container as Record<string | number, unknown>)[key];
    if (m.op === "delete") {
      if (Array.isArray(container)) container.splice(Number(key), 1);
      else delete container[key as string];
    } else if (m.op === "duplicate") {
      if (Array.isArray(container)) container.splice(Number(key), 0, structuredClone(current));
      else (container as Record<string, unknown>)[key as string] = [current, structuredClone(current)];
    } else if (m.op === "retype") (container as Record<string | number, unknown>)[key] = retyped(current);
    else if (m.op === "replace") (container as Record<string | number, unknown>)[key] = m.value;
  }
  let text = JSON.stringify(tree);
  for (const m of textOps) text = textMutation(text, m);
  return text;
}

function textMutation(text: string, m: Mutation): string {
  if (m.op !== "truncate" && m.op !== "flip") return text;
  const at = m.at % Math.max(text.length, 1);
  return m.op === "truncate" ? text.slice(0, at) : text.slice(0, at) + m.char + text.slice(at + 1);
}

/** Plain checks (not expect) in the hot loop: fast-check reports the failing input when one throws. */
function checkResult(result: ParseResult, elapsedMs: number): void {
  if (elapsedMs > PER_MESSAGE_BOUND_MS) throw new Error(`parse took ${elapsedMs} ms`);
  if (result.ok) {
    const valid = ParsedMessage.safeParse(result.message);
    if (!valid.success) throw new Error(`not a valid ParsedMessage: ${valid.error.message}`);
    return;
  }
  if (result.issues.length === 0) throw new Error("a failure without issues");
  for (const issue of result.issues) {
    if (!Object.hasOwn(FHIR_ISSUE_CODES, issue.code)) throw new Error(`uncatalogued code ${issue.code}`);
    // The internal code would mean the parser hit a bug and caught it.
    if (issue.code === "CAREHUB_ERR_FHIR_INTERNAL") throw new Error(`internal error: ${issue.message}`);
  }
}

function timedParse(input: string): { result: ParseResult; elapsedMs: number } {
  const start = performance.now();
  let result: ParseResult;
  try {
    result = parseFhirMessage(input);
  } catch (error) {
    throw new Error(`parseFhirMessage threw: ${String(error)}`);
  }
  return { result, elapsedMs: performance.now() - start };
}

describe("parseFhirMessage on mutated messages", () => {
  it("returns a ParseResult, never a throw, for 10,000 random JSON mutations", { timeout: 120_000 }, () => {
    let rejected = 0;
    fc.assert(
      fc.property(
        fc.nat({ max: seeds.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (seed, ops) => {
          const { result, elapsedMs } = timedParse(mutate(seeds[seed] as object, ops));
          checkResult(result, elapsedMs);
          if (!result.ok) rejected++;
        },
      ),
      { numRuns: 10_000 },
    );
    // Most mutations break a rule; if none did, the mutations would not be reaching the validator.
    expect(rejected).toBeGreaterThan(5_000);
  });

  it("returns a ParseResult, never a throw, for 2,000 random XML mutations", { timeout: 120_000 }, () => {
    const xmlMutation = fc.record({
      op: fc.constantFrom("truncate" as const, "flip" as const),
      at: fc.nat(),
      char: fc.constantFrom("<", ">", "/", '"', "&", "=", " ", "!", "?", "x", "é"),
    });
    fc.assert(
      fc.property(
        fc.nat({ max: xmlSeeds.length - 1 }),
        fc.array(xmlMutation, { minLength: 1, maxLength: 3 }),
        (seed, ops) => {
          let xml = xmlSeeds[seed] ?? "";
          for (const m of ops) xml = textMutation(xml, m);
          const { result, elapsedMs } = timedParse(xml);
          checkResult(result, elapsedMs);
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
