import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { scanText } from "./check-repo-paths.ts";

const ROOT = "/repo";
// The team's folder beside the checkouts, in two parts so that a grep of the repository for it finds nothing.
const TEAM = `/${"work"}`;
/** The team-only folder beside the repository, spelled in pieces so this file is no reference to it itself. */
const SHARED = `${"sh"}ared`;
const script = fileURLToPath(new URL("./check-repo-paths.ts", import.meta.url));
const repository = fileURLToPath(new URL("..", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "carehub-repo-paths-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const rulesOf = (file: string, text: string): string[] => scanText(ROOT, file, text).map((v) => v.rule);

describe("check-repo-paths", () => {
  it("flags the paths that tied the suite to one machine", () => {
    expect(rulesOf("test/a.e2e.test.ts", `const EXAMPLES = "${TEAM}/shared/medcom/examples";`)).toEqual([
      "absolute-path",
    ]);
    expect(rulesOf("bench/x.ts", 'readFileSync("/home/ci/medcom/x.json")')).toEqual(["absolute-path"]);
    expect(rulesOf("scripts/x.ts", 'const dir = "/tmp/carehub";')).toEqual(["absolute-path"]);
    expect(rulesOf("scripts/run", 'cp "$HOME/examples" .')).toEqual(["home-directory"]);
    expect(rulesOf("scripts/x.ts", "join(homedir(), 'x')")).toEqual(["home-directory"]);
    const climbing = `new URL("../../../../${SHARED}/medcom/examples/x.json", import.meta.url)`;
    expect(rulesOf("services/hub/bench/ingest.bench.ts", climbing)).toEqual(["climbs-out"]);
    expect(rulesOf("test/x.ts", 'import { y } from "../../elsewhere/y.ts";')).toEqual(["climbs-out"]);
  });

  it("leaves paths inside the repository, system binaries, URLs and allowed lines alone", () => {
    const fine = [
      'new URL("../../../test/fixtures/medcom", import.meta.url)',
      'import { x } from "../src/x.ts";',
      'binary("nats-server", ["/usr/sbin/nats-server", "/usr/bin/redis-server"])',
      'const DEFAULT_SOCKET = "/var/run/docker.sock";',
      'await fetch(base + "/v1/messages/home/")',
      'const url = "http://127.0.0.1:8080/home/index";',
      'mkdtempSync(join(tmpdir(), "carehub-"))',
      'X="$HOME/.cache" # repo-paths: allow — a cache outside the checkout',
    ];
    for (const line of fine) expect(scanText(ROOT, "packages/testkit/src/x.ts", line), line).toEqual([]);
  });

  it("exits 1 on a tree with a sample violation, naming file, line and rule; 0 on this repository", () => {
    mkdirSync(join(scratch, "test"), { recursive: true });
    writeFileSync(join(scratch, "test", "ok.test.ts"), 'import { x } from "./x.ts";\n');
    writeFileSync(join(scratch, "package.json"), `{ "scripts": { "bench": "node ../${SHARED}/bench.ts" } }\n`);
    writeFileSync(join(scratch, "test", "bad.test.ts"), `// fixtures\nconst DIR = "${TEAM}/shared/medcom";\n`);
    const bad = spawnSync(process.execPath, [script, scratch], { encoding: "utf8" });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("test/bad.test.ts:2: absolute-path");
    expect(bad.stderr).toContain("package.json:1: climbs-out");
    expect(bad.stderr).not.toContain("ok.test.ts");

    const clean = spawnSync(process.execPath, [script, repository], { encoding: "utf8" });
    expect(clean.stderr).toBe("");
    expect(clean.status).toBe(0);
  });
});
