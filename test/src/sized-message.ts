import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";

const HOMECARE = readFileSync(
  new URL(
    "../fixtures/medcom/examples/fhir/homecareobservation/ig-401cbc36-db1e-4fe0-bf90-6df331dde179.json",
    import.meta.url,
  ),
  "utf8",
);
const MESSAGE_ID = "489de4f2-0d8d-4de2-a7ce-ccb93568799f";

/**
 * MedCom's HomeCareObservation example (acute team → practice) with a fresh message id, padded with trailing
 * whitespace (still the same JSON) to `size` bytes: a valid message of any size, for the size-limit tests.
 */
export function homecareOfSize(size: number): { id: string; bytes: Buffer } {
  const id = randomUUID();
  const bytes = Buffer.alloc(size, " ");
  bytes.write(HOMECARE.replaceAll(MESSAGE_ID, id), "utf8");
  return { id, bytes };
}
