import { openTestNamespace, type TestNamespace } from "@carehub/bus/testing";
import { busAuditTrail } from "@carehub/gateway";
import type { AuditRecord } from "@carehub/schemas";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCliCollected, sharedHubEnv } from "./testing.ts";

/**
 * `carehub audit` against real NATS: records written the way the gateway writes them (busAuditTrail) are
 * printed as JSON lines, oldest first, filtered by time, actor, action and resource, and cut at --limit.
 */

let ns: TestNamespace;
/** The stream's own store time of the last record written before the later ones. */
let between: Date;

function record(n: number, actor: AuditRecord["actor"], action: AuditRecord["action"], ids: string[]): AuditRecord {
  return {
    schemaVersion: 1,
    id: `rec-${n}`,
    at: new Date().toISOString(),
    actor,
    action,
    resources: ids.map((id) => ({ type: action === "referral.read" ? "referral" : "message", id })),
    outcome: { status: 200, result: "ok", count: ids.length },
    request: { id: `req-${n}`, method: "GET" },
  };
}

async function audit(...args: string[]): Promise<{ code: number; ids: string[]; err: string }> {
  const { code, out, err } = await runCliCollected(["audit", "--json", ...args], sharedHubEnv(ns.namespace));
  const lines = out.split("\n").filter((line) => line !== "");
  return { code, ids: lines.map((line) => (JSON.parse(line) as AuditRecord).id), err };
}

beforeAll(async () => {
  ns = await openTestNamespace("t-audit-cli");
  const trail = busAuditTrail(ns.bus);
  const alice = { type: "operator", id: "ops-alice" } as const;
  const gp = { type: "endpoint", id: "gp-1" } as const;
  await trail.write(record(1, alice, "message.read", ["msg-1"]));
  await trail.write(record(2, gp, "referral.read", ["REF-1"]));
  await trail.write(record(3, { type: "anonymous", credential: "none" }, "stats.read", []));
  const stream = ns.bus.topology.streams.audit;
  const last = await ns.bus.jsm.streams.getMessage(stream, {
    seq: (await ns.bus.jsm.streams.info(stream)).state.last_seq,
  });
  if (last === null) throw new Error("the third record is not on the AUDIT stream");
  // Later records are stored strictly after this instant (the server and this test share the clock).
  between = new Date(last.time.getTime() + 1);
  while (Date.now() <= between.getTime() + 1) await new Promise((resolve) => setTimeout(resolve, 2));
  await trail.write(record(4, alice, "referral.read", ["REF-1"]));
  await trail.write(record(5, alice, "message.list", ["msg-1", "msg-2"]));
});

afterAll(async () => {
  await ns?.close();
});

describe("carehub audit", () => {
  it("prints every record as a JSON line, oldest first", async () => {
    expect(await audit()).toEqual({ code: 0, ids: ["rec-1", "rec-2", "rec-3", "rec-4", "rec-5"], err: "" });
  });

  it("filters by actor, action and both", async () => {
    expect((await audit("--actor", "ops-alice")).ids).toEqual(["rec-1", "rec-4", "rec-5"]);
    expect((await audit("--action", "referral.read")).ids).toEqual(["rec-2", "rec-4"]);
    expect((await audit("--action", "referral.read", "--actor", "ops-alice")).ids).toEqual(["rec-4"]);
    expect((await audit("--actor", "nobody")).ids).toEqual([]);
  });

  it("filters by a resource asked for or shown: who read this referral, this message", async () => {
    expect((await audit("--resource", "REF-1")).ids).toEqual(["rec-2", "rec-4"]);
    expect((await audit("--resource", "msg-1", "--actor", "ops-alice")).ids).toEqual(["rec-1", "rec-5"]);
  });

  it("starts at --since (a time or a duration ago) and stops at --limit", async () => {
    expect((await audit("--since", between.toISOString())).ids).toEqual(["rec-4", "rec-5"]);
    expect((await audit("--since", "1h")).ids).toHaveLength(5);
    expect((await audit("--since", "2000-01-01", "--limit", "2")).ids).toEqual(["rec-1", "rec-2"]);
    expect((await audit("--since", new Date(Date.now() + 3_600_000).toISOString())).ids).toEqual([]);
  });

  it("refuses a bad filter with a precise message and exit code 2", async () => {
    const bad = await audit("--action", "message.delete");
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("--action must be one of");
  });
});
