// Writes one JSON Schema file per published zod schema into schemas/generated/.
// With --check, writes nothing and exits 1 when a committed file differs from what the schemas produce.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { PUBLISHED_SCHEMAS } from "../src/index.ts";
import { extraGeneratedFiles } from "./extra.ts";

const outDir = join(dirname(fileURLToPath(import.meta.url)), "..", "generated");
const check = process.argv.includes("--check");

const files = new Map<string, string>();
for (const [name, schema] of Object.entries(PUBLISHED_SCHEMAS)) {
  const json = z.toJSONSchema(schema, { target: "draft-2020-12", io: "input", unrepresentable: "any" });
  const document = { $id: `https://carehub.dev/schemas/${name}.schema.json`, title: name, ...json };
  files.set(`${name}.schema.json`, `${JSON.stringify(document, null, 2)}\n`);
}
for (const [file, text] of extraGeneratedFiles()) files.set(file, text);

const drifted: string[] = [];
if (!check) mkdirSync(outDir, { recursive: true });
for (const [file, text] of files) {
  const path = join(outDir, file);
  const current = existsSync(path) ? readFileSync(path, "utf8") : undefined;
  if (current === text) continue;
  if (check) drifted.push(file);
  else writeFileSync(path, text);
}
const stale = existsSync(outDir) ? readdirSync(outDir).filter((f) => f.endsWith(".json") && !files.has(f)) : [];
if (check) {
  if (drifted.length > 0 || stale.length > 0) {
    console.error(
      `schemas/generated is out of date (changed: ${drifted.join(", ") || "none"}; no longer generated: ${stale.join(", ") || "none"}). Run: pnpm schemas:generate`,
    );
    process.exit(1);
  }
  console.log(`schemas/generated is up to date (${files.size} files)`);
} else {
  console.log(
    `wrote ${files.size} files to schemas/generated${stale.length ? `; stale, remove by hand: ${stale.join(", ")}` : ""}`,
  );
}
