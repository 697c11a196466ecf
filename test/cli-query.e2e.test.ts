import { readFileSync } from "node:fs";
import { medcomExamplesDir } from "@carehub/testkit/medcom-fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCarehub } from "./src/cli-process.ts";
import { type Harness, startHarness } from "./src/harness.ts";

// `carehub messages list|show` and `carehub stats` as an operator runs them: the real CLI in a child process
// against a running hub's query API, with the operator's token from CAREHUB_TOKEN.
const HOMECARE = readFileSync(
  medcomExamplesDir("fhir", "homecareobservation", "ig-401cbc36-db1e-4fe0-bf90-6df331dde179.json"),
);

let h: Harness;
let hubId: string;

function carehub(args: string[], env: Record<string, string> = {}) {
  return runCarehub(args, { ...process.env, CAREHUB_URL: h.url, CAREHUB_TOKEN: h.token("operator"), ...env });
}

beforeAll(async () => {
  h = await startHarness();
  const response = await h.send("acute-team", HOMECARE, "application/fhir+json");
  expect(response.status).toBe(202);
  hubId = ((await response.json()) as { id: string }).id;
  const operator = { authorization: `Bearer ${h.token("operator")}` };
  await h.waitFor(
    async () =>
      (await fetch(`${h.url}/v1/messages/${hubId}`, { headers: operator })).status === 200 ? true : undefined,
    "the message in the read model",
  );
});

afterAll(async () => {
  await h?.close();
});

describe("carehub messages and stats, against the running hub", () => {
  it("lists messages by filter, as JSON lines or a table", async () => {
    const json = await carehub([
      "messages",
      "list",
      "--json",
      "--kind",
      "homecare-observation",
      "--sender",
      "acute-team",
    ]);
    expect(json.code, json.stderr).toBe(0);
    const items = json.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { hubId: string; kind: string });
    expect(items.map((i) => i.hubId)).toContain(hubId);
    const none = await carehub(["messages", "list", "--json", "--sender", "lab"]);
    expect(none).toMatchObject({ code: 0, stdout: "" });
    const human = await carehub(["messages", "list"]);
    expect(human.stdout).toMatch(/^HUB ID +RECEIVED +KIND +SENDER/);
    expect(human.stdout).toContain(hubId);
  });

  it("shows one message: its receivers and hops", async () => {
    const json = await carehub(["messages", "show", hubId, "--json"]);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ hubId, kind: "homecare-observation", sender: "acute-team" });
    const human = await carehub(["messages", "show", hubId]);
    expect(human.stdout).toContain(`hub id     ${hubId}`);
    expect(human.stdout).toMatch(/^AT +HOP +ENDPOINT +CODE/m);
    const missing = await carehub(["messages", "show", "no-such-message"]);
    expect(missing).toMatchObject({ code: 1, stdout: "" });
    expect(missing.stderr).toContain("404 CAREHUB_ERR_QUERY_NOT_FOUND");
  });

  it("prints the counts with stats", async () => {
    const json = await carehub(["stats", "--json"]);
    expect(json.code, json.stderr).toBe(0);
    const rows = json.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(rows.length).toBeGreaterThan(0);
  });

  it("needs a token (exit 2), is refused a wrong one (exit 1), and never prints the token", async () => {
    const without = await carehub(["stats"], { CAREHUB_TOKEN: "" });
    expect(without).toMatchObject({ code: 2, stdout: "" });
    expect(without.stderr).toContain("set CAREHUB_TOKEN or pass --token");
    const wrong = await carehub(["messages", "list", "--token", "not-a-real-token-123"]);
    expect(wrong).toMatchObject({ code: 1, stdout: "" });
    expect(wrong.stderr).toContain("401");
    expect(wrong.stderr).not.toContain("not-a-real-token-123");
    const typo = await carehub(["messages", "lsit"]);
    expect(typo).toMatchObject({ code: 2 });
    expect(typo.stderr).toContain("did you mean messages list?");
  });
});
