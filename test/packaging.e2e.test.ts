import { execFile, execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { medcomExamplesDir } from "@carehub/testkit/medcom-fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packSdk } from "../scripts/pack-sdk.ts";
import { type Harness, startHarness } from "./src/harness.ts";

// Issue 14, item 4: the SDK and the testkits as an integrator gets them. All three are built and packed
// (pnpm pack:sdk), installed with npm into a scratch project outside the repository, then used from plain
// Node 24 JavaScript against a live hub and type-checked from TypeScript (nodenext). Catches: an internal
// @carehub/* package left as a dependency (npm install fails: not on the registry), TypeScript shipped under
// node_modules (Node refuses to strip it), `.ts` import suffixes or missing declarations (tsc errors), a package
// the bundled hub imports left undeclared or imported at load time though optional (esbuild, testcontainers: npm
// does not install optional peers), so the testkit-hub program cannot start its hub.
const REPO_TSC = fileURLToPath(new URL("../node_modules/typescript/bin/tsc", import.meta.url));
const REPO_NODE_TYPES = fileURLToPath(new URL("../node_modules/@types", import.meta.url));
const HOMECARE = medcomExamplesDir("fhir/homecareobservation/ig-401cbc36-db1e-4fe0-bf90-6df331dde179.json");
const HOMECARE_ID = "489de4f2-0d8d-4de2-a7ce-ccb93568799f";

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  try {
    return execFileSync(command, args, { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(" ")} failed:\n${stdout ?? ""}\n${stderr ?? ""}`);
  }
}

describe("the packed @carehub/client, @carehub/testkit and @carehub/testkit-hub in a project outside the repository", () => {
  let project: string;
  let h: Harness;

  beforeAll(async () => {
    project = mkdtempSync(join(tmpdir(), "carehub-consumer-"));
    const tarballs = packSdk(join(project, "tarballs"), { quiet: true });
    expect(tarballs.map((t) => t.replace(/.*\//, "")).sort()).toEqual([
      "carehub-client-0.1.0.tgz",
      "carehub-testkit-0.1.0.tgz",
      "carehub-testkit-hub-0.1.0.tgz",
    ]);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
    // ioredis as the testkit README's example installs it (its test talks to Redis itself).
    run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", ...tarballs, "ioredis@^5"], project);
    h = await startHarness();
  }, 300_000);

  afterAll(async () => {
    await h?.close();
    if (project !== undefined) rmSync(project, { recursive: true, force: true });
  });

  it("runs a plain-JavaScript program on Node 24 that sends a message and reads its lifecycle back", async () => {
    copyFileSync(fileURLToPath(new URL("packaging/consumer.mjs", import.meta.url)), join(project, "consumer.mjs"));
    const env = {
      ...process.env,
      HUB_URL: h.url,
      HUB_TOKEN: h.token("acute-team"),
      MESSAGE_FILE: HOMECARE,
      CONTENT_TYPE: "application/fhir+json",
    };
    // Asynchronously: the hub runs in this process, and a blocking child would keep it from answering.
    const { stdout } = await promisify(execFile)(process.execPath, ["consumer.mjs"], { cwd: project, env });
    const out = JSON.parse(stdout) as {
      sent: { id: string; messageId: string; status: string };
      lifecycle?: { hubId: string; messageId?: string; sender?: string };
      errorClass: string;
      testkit: { nats: string; namespace: string };
    };
    expect(out.sent).toMatchObject({ messageId: HOMECARE_ID, status: "received" });
    expect(out.lifecycle).toMatchObject({ hubId: out.sent.id, messageId: HOMECARE_ID, sender: "acute-team" });
    expect(out.errorClass).toBe("function");
    expect(out.testkit).toMatchObject({ nats: process.env.NATS_URL, namespace: expect.stringMatching(/^pkg-/) });
  });

  it("runs a plain-JavaScript program on Node 24 that starts a test hub, sends a message and asserts on it", async () => {
    const program = "testkit-hub-consumer.mjs";
    copyFileSync(fileURLToPath(new URL(`packaging/${program}`, import.meta.url)), join(project, program));
    const env = { ...process.env, MESSAGE_FILE: HOMECARE };
    const { stdout } = await promisify(execFile)(process.execPath, [program], { cwd: project, env });
    // The hub inside the program logs (warn and up) to stdout too: the program's answer is its last line.
    const out = JSON.parse(stdout.trim().split("\n").at(-1) ?? "") as {
      status: number;
      hubId?: string;
      deliveries: number;
      wrong: string;
      snapshot: Array<{ ref: string; status: string; receivers: Array<{ endpoint: string; status: string }> }>;
    };
    expect(out).toMatchObject({ status: 202, hubId: expect.any(String), deliveries: 1 });
    expect(out.wrong).toBe("TestHubAssertionError");
    expect(out.snapshot).toEqual([
      expect.objectContaining({
        ref: `acute-team/${HOMECARE_ID}`,
        status: "delivered",
        receivers: [expect.objectContaining({ endpoint: "practice", status: "delivered" })],
      }),
    ]);
  });

  it("type-checks a TypeScript consumer (moduleResolution nodenext, strict, library types checked)", () => {
    copyFileSync(fileURLToPath(new URL("packaging/consumer.ts", import.meta.url)), join(project, "consumer.ts"));
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2024",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ["node"],
          typeRoots: [REPO_NODE_TYPES],
        },
        files: ["consumer.ts"],
      }),
    );
    expect(run(process.execPath, [REPO_TSC, "-p", "."], project)).toBe("");
  });

  it("passes the testkit README's example test as written (node --test)", async () => {
    const readme = readFileSync(new URL("../packages/testkit/README.md", import.meta.url), "utf8");
    const [, file, code] = /<!-- example: (\S+) -->\n```js\n([\s\S]*?)```/.exec(readme) ?? [];
    expect(file).toBe("seen-store.test.mjs");
    writeFileSync(join(project, file as string), code as string);
    const { stdout } = await promisify(execFile)(process.execPath, ["--test", file as string], { cwd: project });
    expect(stdout).toMatch(/^ℹ pass 1$/m);
    expect(stdout).toMatch(/^ℹ fail 0$/m);
  });

  it("ships only dist/ and public npm dependencies", () => {
    for (const name of ["client", "testkit", "testkit-hub"]) {
      const manifest = JSON.parse(
        readFileSync(join(project, "node_modules", "@carehub", name, "package.json"), "utf8"),
      ) as { dependencies?: Record<string, string>; exports: Record<string, unknown>; license?: string };
      expect(Object.keys(manifest.dependencies ?? {}).filter((dep) => dep.startsWith("@carehub/"))).toEqual([]);
      expect(manifest.exports["."]).toEqual({ types: "./dist/index.d.mts", import: "./dist/index.mjs" });
      expect(manifest.license).toBe("MIT");
    }
  });
});
