import { join } from "node:path";
import { fileURLToPath } from "node:url";

// The one place that knows where the repository keeps MedCom's examples and terminology
// (test/fixtures/medcom/README.md names their public sources). Computed from this file's location, so a clone
// anywhere finds them and nothing reads a path outside the repository.
const FIXTURES_DIR = fileURLToPath(new URL("../../../test/fixtures/medcom", import.meta.url));

/** `test/fixtures/medcom/examples` in this checkout, or a file or folder under it: `medcomExamplesDir("oioxml")`. */
export function medcomExamplesDir(...segments: string[]): string {
  return join(FIXTURES_DIR, "examples", ...segments);
}

/** `test/fixtures/medcom/terminology` in this checkout: the code lists `generate-terminology.ts` embeds. */
export function medcomTerminologyDir(): string {
  return join(FIXTURES_DIR, "terminology");
}
