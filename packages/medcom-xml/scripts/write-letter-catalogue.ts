import { writeFileSync } from "node:fs";
import { renderLetterCatalogue } from "../src/letter-catalogue.ts";

writeFileSync(new URL("../../../docs/oioxml-letters.md", import.meta.url), renderLetterCatalogue());
