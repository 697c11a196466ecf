import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { HEADER, type StreamRole } from "@carehub/bus";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "./src/harness.ts";
import { cprShapesIn } from "./src/patient-identifiers.ts";

/**
 * Payload encryption at rest through the whole hub (issue 16, item 7): with CAREHUB_PAYLOAD_KEYS set, a message with
 * a CPR number travels gateway → intake → router → dispatcher and reaches its receiver byte for byte, while what
 * JetStream stores of it on INGRESS, PIPELINE and OUTBOX holds no CPR number and names the key that sealed it — or,
 * for an OUTBOX copy by reference (docs/decisions/0109), holds nothing and names the sealed INGRESS copy.
 */

const HOMECARE = readFileSync(
  new URL(
    "./fixtures/medcom/examples/fhir/homecareobservation/ig-401cbc36-db1e-4fe0-bf90-6df331dde179.json",
    import.meta.url,
  ),
  "utf8",
);
const MESSAGE_ID = "489de4f2-0d8d-4de2-a7ce-ccb93568799f";
const KEYS = [{ id: "e2e-2026", base64: Buffer.alloc(32, 7).toString("base64") }];

let h: Harness;

beforeAll(async () => {
  // OUTBOX by reference on (off by default, docs/decisions/0109): a copy may name the sealed INGRESS copy.
  h = await startHarness({ config: { payloadKeys: KEYS, outboxByReference: true } });
});

afterAll(async () => {
  await h?.close();
});

/** Every message of a stream as JetStream stores it, read past the bus (what an operator with stream access sees). */
async function rawMessages(role: StreamRole): Promise<{ text: string; keyId: string; reference: string }[]> {
  const jsm = h.hub.bus.jsm;
  const stream = h.hub.bus.topology.streams[role];
  const { first_seq, last_seq, messages } = (await jsm.streams.info(stream)).state;
  const found: { text: string; keyId: string; reference: string }[] = [];
  for (let seq = first_seq; messages > 0 && seq <= last_seq; seq++) {
    const stored = await jsm.streams.getMessage(stream, { seq });
    if (stored !== null) {
      found.push({
        text: Buffer.from(stored.data).toString("latin1"),
        keyId: stored.header?.get(HEADER.payloadKey) ?? "",
        reference: stored.header?.get(HEADER.payloadRef) ?? "",
      });
    }
  }
  return found;
}

describe("payloads encrypted at rest", () => {
  it("delivers a message with a CPR number byte for byte while no stream stores the number readably", async () => {
    const id = randomUUID();
    const bytes = Buffer.from(HOMECARE.replaceAll(MESSAGE_ID, id));
    expect(cprShapesIn(HOMECARE).length).toBeGreaterThan(0);

    const response = await h.send("acute-team", bytes, "application/fhir+json");
    expect(response.status).toBe(202);
    const deliveries = await h.receiver("practice").waitFor((d) => d.some((x) => x.messageId === id), 20_000);
    expect(deliveries.find((x) => x.messageId === id)?.body.equals(bytes)).toBe(true);

    for (const role of ["ingress", "pipeline", "outbox"] as const) {
      const stored = await rawMessages(role);
      expect(stored.length, role).toBeGreaterThan(0);
      // Sealed, or (OUTBOX) empty and naming the sealed INGRESS copy: never bytes stored as they came.
      expect(
        stored.map((m) => (m.reference !== "" && m.text === "" ? "by reference" : m.keyId)),
        role,
      ).toEqual(stored.map((m) => (role === "outbox" && m.reference !== "" ? "by reference" : "e2e-2026")));
      expect(
        stored.flatMap((m) => cprShapesIn(m.text)),
        role,
      ).toEqual([]);
    }
    // The hub reads its own streams as before: the archive through the bus is the message as sent.
    const archived = await h.streamMessages("ingress");
    expect(archived.some((m) => Buffer.from(m.data).equals(bytes))).toBe(true);
  });
});
