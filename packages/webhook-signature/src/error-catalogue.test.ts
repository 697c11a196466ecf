import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { WEBHOOK_SIGNATURE_CODES } from "./webhook-signature-error.ts";

describe("webhook signature error codes", () => {
  it("are each listed in the Webhook signatures section of docs/errors.md", () => {
    const catalogue = readFileSync(new URL("../../../docs/errors.md", import.meta.url), "utf8");
    const start = catalogue.indexOf("## Webhook signatures");
    expect(start).toBeGreaterThan(-1);
    const section = catalogue.slice(start, catalogue.indexOf("\n## ", start + 1));
    const codes = Object.values(WEBHOOK_SIGNATURE_CODES);
    expect(codes).toHaveLength(5);
    for (const code of codes) expect(section, code).toContain(`\`${code}\``);
  });
});
