import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadRegistryFile, parseRegistryText } from "./load-registry-file.ts";
import { RegistryConfigError } from "./registry-config-error.ts";
import { smallRegistry } from "./registry-fixture.test-support.ts";

describe("loadRegistryFile", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "carehub-registry-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads JSON by its extension", async () => {
    const path = join(dir, "endpoints.json");
    await writeFile(path, JSON.stringify(smallRegistry()));
    expect((await loadRegistryFile(path)).byId("acute-team")?.kind).toBe("municipality");
  });

  it("reports YAML syntax errors with line and column", () => {
    const error = catchError(() => parseRegistryText("hub:\n  id: [unclosed\nendpoints: []\n", "bad.yaml"));
    expect(error.code).toBe("CAREHUB_ERR_REGISTRY_INVALID");
    expect(error.problems[0]).toMatch(/^line \d+, column \d+: /);
  });

  it("reports JSON syntax errors", () => {
    const error = catchError(() => parseRegistryText("{", "bad.json"));
    expect(error.problems[0]).toMatch(/^\(syntax\): /);
  });

  it("refuses a missing file with a RegistryConfigError", async () => {
    await expect(loadRegistryFile(join(dir, "missing.yaml"))).rejects.toThrow(RegistryConfigError);
  });

  it("names the file in the error message", () => {
    const error = catchError(() => parseRegistryText("endpoints: []\n", "/etc/carehub/endpoints.yaml"));
    expect(error.message).toContain("/etc/carehub/endpoints.yaml");
    expect(error.source).toBe("/etc/carehub/endpoints.yaml");
  });
});

function catchError(fn: () => unknown): RegistryConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof RegistryConfigError) return error;
    throw error;
  }
  throw new Error("expected a RegistryConfigError");
}
