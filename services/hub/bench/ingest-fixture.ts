// What the ingest benches send and the hub they send it to: one sender (the acute team) with a bearer token, and
// MedCom's HomeCareObservation example with a fresh MessageHeader id each time.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { hashToken } from "@carehub/registry";
import type { RegistryConfigInput } from "@carehub/schemas";
import { medcomExamplesDir } from "@carehub/testkit/medcom-fixtures";

/** The sender's bearer token. */
export const BENCH_TOKEN = "bench-token";

export const BENCH_REGISTRY: RegistryConfigInput = {
  hub: { id: "carehub", name: "bench hub", sor: "481521000016007", gln: "5790000199990" },
  endpoints: [
    {
      id: "acute-team",
      name: "acute team",
      kind: "municipality",
      identifiers: { sor: ["1144561000016002"], gln: ["5790000123117"] },
      sends: ["homecare-observation"],
      accepts: ["acknowledgement"],
      delivery: { mode: "nats" },
      auth: { tokenSha256: [hashToken(BENCH_TOKEN)] },
    },
  ],
};

const template = readFileSync(
  medcomExamplesDir("fhir", "homecareobservation", "ig-401cbc36-db1e-4fe0-bf90-6df331dde179.json"),
  "utf8",
);
const ORIGINAL_ID = "489de4f2-0d8d-4de2-a7ce-ccb93568799f";

/** The example as a new message (a fresh MessageHeader id). */
export function freshHomecareBody(): string {
  return template.replaceAll(ORIGINAL_ID, randomUUID());
}
