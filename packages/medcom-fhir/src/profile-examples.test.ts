import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseFhirMessage } from "./parse-fhir-message.ts";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const examplesDir = join(packageDir, "..", "..", "schemas", "profiles", "examples");

describe("schemas/profiles/examples", () => {
  it("are what the builders produce today", () => {
    const script = join(packageDir, "scripts", "generate-profile-examples.ts");
    expect(execFileSync(process.execPath, [script, "--check"], { encoding: "utf8" })).toMatch(/up to date/);
  });

  it.each(readdirSync(examplesDir).filter((f) => f.endsWith(".json")))("%s is a valid carehub message", (file) => {
    const result = parseFhirMessage(readFileSync(join(examplesDir, file)));
    expect(result.ok ? [] : result.issues).toEqual([]);
    expect(result.ok && result.message.standard).toMatch(/^carehub-/);
  });
});
