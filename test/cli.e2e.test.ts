import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectBus, HEADER } from "@carehub/bus";
import { sharedNatsUrl, sharedRedisUrl, testNamespace } from "@carehub/testkit";
import { medcomExamplesDir } from "@carehub/testkit/medcom-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { type CarehubRun, runCarehub } from "./src/cli-process.ts";
import { cleanupHubNamespace } from "./src/namespace.ts";

// The `carehub` command as an operator runs it: the real CLI in a child process (stdin not a terminal), against
// the shared NATS and Redis in a private namespace. Each test names the mistake an operator makes and what the
// CLI must answer.
const namespace = testNamespace("cli");

afterAll(async () => {
  await cleanupHubNamespace(namespace);
});

function carehub(args: string[], env: Record<string, string> = {}): Promise<CarehubRun> {
  return runCarehub(args, {
    ...process.env,
    NATS_URL: sharedNatsUrl(),
    REDIS_URL: sharedRedisUrl(),
    CAREHUB_NAMESPACE: namespace,
    ...env,
  });
}

const COMMANDS = [
  "start",
  "demo",
  "validate",
  "redrive",
  "provision",
  "rebuild",
  "audit",
  "nats-config",
  "dlq",
  "messages",
  "stats",
  "endpoints",
];

describe("carehub, the operator's CLI", () => {
  it("refuses an unknown command or option with exit 2 and the nearest name, on stderr only", async () => {
    const command = await carehub(["vaildate", "x.xml"]);
    expect(command).toMatchObject({ code: 2, stdout: "" });
    expect(command.stderr).toContain("unknown command: vaildate (did you mean validate?)");
    const option = await carehub(["redrive", "--stag", "router"]);
    expect(option).toMatchObject({ code: 2, stdout: "" });
    expect(option.stderr).toContain("unknown option: --stag (did you mean --stage?)");
    expect(option.stderr).toContain("usage: carehub redrive");
  });

  it("answers --help on every command with that command's options, exit 0", { timeout: 120_000 }, async () => {
    const runs = await Promise.all(COMMANDS.map((name) => carehub([name, "--help"])));
    for (const [i, run] of runs.entries()) {
      const name = COMMANDS[i] ?? "";
      expect(run.code, name).toBe(0);
      expect(run.stdout, name).toMatch(new RegExp(`^usage: carehub ${name}`));
      expect(run.stdout, name).toContain("--json");
    }
    expect((await carehub(["redrive", "--help"])).stdout).toContain("--stage STAGE");
    expect((await carehub(["rebuild", "-h"])).stdout).toContain("--yes");
  });

  it("prints its version from package.json", async () => {
    const { version } = JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8")) as {
      version: string;
    };
    expect(await carehub(["--version"])).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
  });

  it("refuses to rebuild without --yes when there is no terminal to ask, and says how to confirm", async () => {
    const run = await carehub(["rebuild"]);
    expect(run).toMatchObject({ code: 2, stdout: "" });
    expect(run.stderr).toContain("run it with --yes to confirm");
  });

  it("refuses redrive --stage bogus with exit 2, listing the valid stages", async () => {
    const run = await carehub(["redrive", "--stage", "bogus"]);
    expect(run).toMatchObject({ code: 2, stdout: "" });
    expect(run.stderr).toContain("--stage must be one of intake, router, dispatcher, tracker, tracker-status");
  });

  it("validate --summary classifies the repository's conformance corpus as its manifest says", async () => {
    const corpus = join(medcomExamplesDir(), "..");
    const run = await carehub(["validate", "--summary", "--json", corpus]);
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as {
      files: number;
      mismatches: unknown[];
      byFormat: Record<string, number>;
    };
    expect(summary.mismatches).toEqual([]);
    expect(summary.files).toBeGreaterThanOrEqual(150);
    expect(summary.byFormat["fhir+xml"]).toBeGreaterThan(0);
    // A directory whose manifest does not list its files differs from it: exit 1, each file named.
    const dir = await mkdtemp(join(tmpdir(), "carehub-cli-summary-"));
    try {
      await copyFile(join(medcomExamplesDir(), "oioxml/XRPT01_2.xml"), join(dir, "letter.xml"));
      await writeFile(join(dir, "manifest.json"), JSON.stringify({ files: {} }));
      const differs = await carehub(["validate", "--summary", dir]);
      expect(differs.code).toBe(1);
      expect(differs.stdout).toContain("letter.xml");
      expect((await carehub(["validate", "--summary", dir, corpus])).code).toBe(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("validate walks a directory recursively: a line per file, JSON lines with --json", async () => {
    const dir = await mkdtemp(join(tmpdir(), "carehub-cli-validate-"));
    try {
      await mkdir(join(dir, "nested", "deeper"), { recursive: true });
      await copyFile(join(medcomExamplesDir(), "oioxml/XRPT01_2.xml"), join(dir, "nested", "valid.xml"));
      await copyFile(join(medcomExamplesDir(), "oioxml/XRPT01_1.xml"), join(dir, "nested", "deeper", "bad.xml"));
      const json = await carehub(["validate", "--json", dir]);
      expect(json.code).toBe(1);
      const lines = json.stdout
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as { file: string; ok: boolean });
      expect(lines.map((l) => [l.file, l.ok])).toEqual([
        [join(dir, "nested", "deeper", "bad.xml"), false],
        [join(dir, "nested", "valid.xml"), true],
      ]);
      const human = await carehub(["validate", dir]);
      expect(human.stdout.trim().split("\n")).toEqual([
        expect.stringMatching(/^INVALID {2}.*bad\.xml {2}CAREHUB_ERR_/),
        expect.stringMatching(/^ok {7}.*valid\.xml {2}/),
      ]);
      const empty = await carehub(["validate", join(dir, "nested", "deeper", "..", "..", "nested", "missing")]);
      expect(empty.code).toBe(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("keeps logs off stdout: with --json every stdout line is the command's JSON, the logs are on stderr", async () => {
    // rebuild logs at info (dropped, rebuilt): the lines must reach stderr, and stdout must be the report alone.
    const rebuild = await carehub(["rebuild", "--yes", "--json"], { LOG_LEVEL: "debug" });
    expect(rebuild.code, rebuild.stderr).toBe(0);
    const lines = rebuild.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const report = JSON.parse(lines[0] ?? "") as Record<string, unknown>;
    expect(report).toMatchObject({ keysDropped: expect.any(Number), events: expect.any(Number) });
    expect(report).not.toHaveProperty("level"); // a pino line is not the report
    expect(rebuild.stderr).toContain('"msg":"read model rebuilt"');
    const redrive = await carehub(["redrive", "--json"], { LOG_LEVEL: "debug" });
    expect(redrive).toMatchObject({ code: 0, stdout: `${JSON.stringify({ redriven: 0, hubIds: [] })}\n` });
    const human = await carehub(["redrive"], { LOG_LEVEL: "error" });
    expect(human).toMatchObject({ code: 0, stdout: "redrove 0 dead letter(s) from stage dispatcher\n" });
  });

  it("dlq list shows dead letters by stage and endpoint, without payloads; dlq redrive empties it", async () => {
    const bus = await connectBus({ servers: sharedNatsUrl(), name: `cli-${namespace}`, namespace });
    try {
      await bus.provision();
      const hubId = "01JCLITEST0000000000000001";
      await bus.publish(bus.topology.subjects.dlq("dispatcher"), "payload-not-shown", {
        msgId: `${hubId}:dead`,
        contentType: "application/json",
        headers: {
          [HEADER.stage]: "dispatcher",
          [HEADER.hubId]: hubId,
          [HEADER.errorCode]: "CAREHUB_ERR_DELIVERY_HTTP_REFUSED",
          [HEADER.attempts]: "3",
          [HEADER.originalSubject]: bus.topology.subjects.outbox("klamer"),
        },
      });
    } finally {
      await bus.drain();
    }
    const listed = await carehub(["dlq", "list", "--json"]);
    expect(listed.code, listed.stderr).toBe(0);
    const rows = listed.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(rows).toEqual([
      expect.objectContaining({
        hubId: "01JCLITEST0000000000000001",
        stage: "dispatcher",
        errorCode: "CAREHUB_ERR_DELIVERY_HTTP_REFUSED",
        attempts: 3,
      }),
    ]);
    expect(listed.stdout).not.toContain("payload-not-shown");
    const table = await carehub(["dlq", "list", "--stage", "dispatcher"]);
    expect(table.stdout).toMatch(/^SEQ +AT +STAGE +HUB ID/);
    expect(table.stdout).toContain("01JCLITEST0000000000000001");
    expect(await carehub(["dlq", "list", "--json", "--endpoint", "other-endpoint"])).toMatchObject({
      code: 0,
      stdout: "",
    });
    expect(await carehub(["dlq", "list", "--json", "--stage", "router"])).toMatchObject({ code: 0, stdout: "" });
    const typo = await carehub(["dlq", "lst"]);
    expect(typo).toMatchObject({ code: 2, stdout: "" });
    expect(typo.stderr).toContain("did you mean dlq list?");
    const redrive = await carehub(["dlq", "redrive", "--json", "--endpoint", "klamer"]);
    expect(redrive.code, redrive.stderr).toBe(0);
    expect(JSON.parse(redrive.stdout)).toMatchObject({ redriven: 1 });
    expect(await carehub(["dlq", "list", "--json"])).toMatchObject({ code: 0, stdout: "" });
    // Seven CLI processes, each a Node start (about 1 s apiece alone, 4 s on a loaded 2-core machine).
  }, 90_000);

  it("endpoints list shows the registry's endpoints and never a secret or token digest", async () => {
    const json = await carehub(["endpoints", "list", "--json"], { CAREHUB_REGISTRY: "infra/endpoints.yaml" });
    expect(json.code, json.stderr).toBe(0);
    const rows = json.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { id: string; signed: boolean });
    expect(rows).toContainEqual(expect.objectContaining({ id: "skodstrup-laegepraksis", signed: true }));
    const human = await carehub(["endpoints", "list"], { CAREHUB_REGISTRY: "infra/endpoints.yaml" });
    expect(human.stdout).toMatch(/^ID +KIND +DELIVERY +SIGNING/);
    for (const output of [json.stdout, human.stdout]) {
      expect(output).not.toContain("whsec_");
      expect(output).not.toMatch(/[0-9a-f]{64}/); // a token's SHA-256
    }
  });
});
