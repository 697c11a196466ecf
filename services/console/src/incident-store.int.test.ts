import { openTestNamespace, type TestNamespace } from "@carehub/bus/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { incidentsCsv, redisIncidentStore } from "./incident-store.ts";

/** The disruption log's store against a real Redis. */

let ns: TestNamespace;

beforeAll(async () => {
  ns = await openTestNamespace("t-incidents");
});

afterAll(async () => {
  await ns?.close();
});

describe("the incident store", () => {
  it("opens one incident per circuit opening, however often (and by however many consoles) it is seen", async () => {
    const store = redisIncidentStore(ns.redis, ns.namespace);
    const first = await store.openForCircuit("lab");
    expect(first).toMatchObject({ cause: "circuit-open", endpoints: ["lab"] });
    // A second console copy (another store on the same Redis) polling the same open circuit.
    expect(await redisIncidentStore(ns.redis, ns.namespace).openForCircuit("lab")).toBeUndefined();
    expect(await store.openForCircuit("lab")).toBeUndefined();
    expect((await store.list()).filter((i) => i.endpoints.includes("lab"))).toHaveLength(1);

    const closed = await store.closeForCircuit("lab");
    expect(closed?.id).toBe(first?.id);
    expect(closed?.closedAt).toEqual(expect.any(String));
    expect(await store.closeForCircuit("lab")).toBeUndefined();
    // The next opening is a new incident.
    const next = await store.openForCircuit("lab");
    expect(next?.id).not.toBe(first?.id);
    expect((await store.list({ state: "open" })).map((i) => i.id)).toEqual([next?.id]);
    expect((await store.list({ state: "closed" })).map((i) => i.id)).toEqual([first?.id]);
  });
});

describe("incidentsCsv", () => {
  it("quotes cells with commas, quotes or line breaks (RFC 4180)", () => {
    const csv = incidentsCsv([
      {
        id: "i-1",
        cause: "manual",
        openedAt: "2026-01-01T10:00:00.000Z",
        closedAt: "2026-01-01T11:30:00.000Z",
        endpoints: ["a", "b"],
        kinds: [],
        note: 'said "down",\nthen up',
        openedBy: { type: "operator", id: "op" },
        closedBy: { type: "operator", id: "op" },
      },
    ]);
    expect(csv.split("\r\n")[1]).toBe(
      'i-1,manual,2026-01-01T10:00:00.000Z,2026-01-01T11:30:00.000Z,90,a b,,operator:op,operator:op,"said ""down"",\nthen up",',
    );
  });
});
