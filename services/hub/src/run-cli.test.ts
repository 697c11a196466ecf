import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { parseRegistryText } from "@carehub/registry";
import { medcomExamplesDir } from "@carehub/testkit/medcom-fixtures";
import { describe, expect, it } from "vitest";
import { runCli } from "./run-cli.ts";
import { collectingCliIo } from "./testing.ts";

const io = collectingCliIo;

const EXAMPLES = medcomExamplesDir();

describe("runCli", () => {
  it("prints the usage and exits 2 for an unknown command", async () => {
    const run = io();
    expect(await runCli(["deploy"], run.io)).toBe(2);
    expect(run.err()).toContain("unknown command: deploy");
    expect(run.err()).toContain("usage: carehub <command>");
  });

  it("prints the usage and exits 0 for help", async () => {
    const run = io();
    expect(await runCli(["help"], run.io)).toBe(0);
    for (const command of ["start", "demo", "validate", "redrive", "provision", "rebuild", "audit", "nats-config"]) {
      expect(run.out()).toMatch(new RegExp(`^  ${command} `, "m"));
    }
  });

  it("validates files: 0 when every file is valid, 1 when one is not, one JSON line per file", async () => {
    const valid = io();
    expect(await runCli(["validate", "--json", `${EXAMPLES}/oioxml/XRPT01_2.xml`], valid.io)).toBe(0);
    expect(JSON.parse(valid.out().trim())).toMatchObject({ ok: true });
    const invalid = io();
    expect(
      await runCli(
        ["validate", "--json", `${EXAMPLES}/oioxml/XRPT01_1.xml`, `${EXAMPLES}/oioxml/XRPT01_2.xml`],
        invalid.io,
      ),
    ).toBe(1);
    expect(invalid.out().trim().split("\n")).toHaveLength(2);
    const missing = io();
    expect(await runCli(["validate"], missing.io)).toBe(2);
    expect(missing.err()).toContain("name a file or directory");
  });

  it("rebuild asks on a terminal: anything but yes drops nothing", async () => {
    const stdin = Object.assign(new PassThrough(), { isTTY: true });
    const run = io();
    const answered = runCli(["rebuild"], { ...run.io, stdin });
    stdin.end("n\n");
    expect(await answered).toBe(2);
    expect(run.err()).toContain("Continue? [y/N]");
    expect(run.err()).toContain("rebuild not confirmed; nothing dropped");
    expect(run.out()).toBe("");
  });

  it("nats-config refuses to write without the hub's NATS credentials or with an invalid namespace", async () => {
    const withoutCredentials = io({ CAREHUB_REGISTRY: "infra/endpoints.yaml" });
    expect(await runCli(["nats-config"], withoutCredentials.io)).toBe(2);
    expect(withoutCredentials.err()).toContain("set NATS_USER and NATS_PASS");
    const badNamespace = io({ NATS_USER: "hub", NATS_PASS: "secret" });
    expect(await runCli(["nats-config", "--namespace", "Bad NS"], badNamespace.io)).toBe(2);
    expect(badNamespace.err()).toContain("invalid namespace");
    expect(badNamespace.out()).toBe("");
  });

  it("nats-config refuses a registry it cannot make safe, naming the endpoint, and writes nothing", async () => {
    const dir = await mkdtemp(join(tmpdir(), "carehub-nats-config-"));
    try {
      const registry = structuredClone(
        parseRegistryText(await readFile("infra/endpoints.yaml", "utf8"), "infra/endpoints.yaml").config(),
      );
      const first = registry.endpoints[0];
      if (first === undefined) throw new Error("the sample registry has endpoints");
      first.auth.natsUser = first.id; // a NATS user without a key
      await writeFile(join(dir, "endpoints.json"), JSON.stringify(registry));
      const run = io({ NATS_USER: "hub", NATS_PASS: "secret", CAREHUB_REGISTRY: join(dir, "endpoints.json") });
      expect(await runCli(["nats-config", "--out", join(dir, "auth.conf")], run.io)).toBe(1);
      expect(run.err()).toContain(`CAREHUB_ERR_REGISTRY_NATS_AUTHORIZATION: cannot write the NATS authorization`);
      expect(run.err()).toContain(`endpoint ${first.id}: natsUser is set but auth.natsNkey is not`);
      expect(await readdir(dir)).toEqual(["endpoints.json"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses an invalid configuration before connecting to anything", async () => {
    const run = io({ CAREHUB_NAMESPACE: "Not Valid" });
    expect(await runCli(["provision"], run.io)).toBe(2);
    expect(run.err()).toContain("CAREHUB_NAMESPACE");
  });

  it("start reads every service's settings, whichever it runs: a bad tracker or dispatcher value stops it before connecting", async () => {
    const run = io({
      NATS_URL: "nats://127.0.0.1:1",
      CAREHUB_TRACKER_STALE_DAYS: '{"referral":{"sent":-1}}',
      CAREHUB_DISPATCH_BACKOFF_INITIAL_MS: "soon",
    });
    expect(await runCli(["start", "gateway"], run.io)).toBe(2);
    expect(run.err()).toContain("CAREHUB_TRACKER_STALE_DAYS");
    expect(run.err()).toContain("CAREHUB_DISPATCH_BACKOFF_INITIAL_MS");
  });
});
