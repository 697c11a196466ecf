// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the samples are lines of source code, placeholders and all
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { findViolations, scanRepository } from "../scripts/check-ledger-ownership.ts";

describe("check-ledger-ownership (pnpm check)", () => {
  it("finds no ledger key or hub-id derivation outside packages/ledger in this repository", () => {
    expect(scanRepository(fileURLToPath(new URL("..", import.meta.url)))).toEqual([]);
  });

  // Each line is a bug this project had: a key or a derivation spelled again beside the ledger's.
  it.each([
    ["messageId: (endpoint, id) => `${namespace}:msgid:${endpoint}:${id}`,"],
    ["received: (endpoint, id) => `${ns}:rcvd:${endpoint}:${id}`,"],
    ["const key = `${this.#namespace}:delivered:${endpoint}:${hubId}`;"],
    ["redis.get(ns + ':ackmsg:' + hubId)"],
    ['const resendId = nameBasedUuid("ack-resend", firstHubId, transmission);'],
    ["acknowledgementResend(stored, `${subject.ingress.hubId}-ack`, hubEndpointId)"],
    ['return { hubId: derivedUuid("message", namespace, hub.id, messageId) };'],
    ["bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;"],
    ["export function hubIdFromStreamPosition(stream: string, seq: number): string {"],
  ])("flags %s", (line) => {
    expect(findViolations("services/x/src/x.ts", line)).toHaveLength(1);
  });

  it("leaves event ids, comments and the ledger's own callers alone", () => {
    const text = [
      "eventId: `${message.hubId}:delivered:${endpoint}`,",
      "// `<ns>:msgid:<source>:<id>` is the ledger's",
      "const hubId = ledger.hubIdOf({ endpoint, messageId });",
      "const ids = repeatAnswerIds(firstHubId, copy);",
    ].join("\n");
    expect(findViolations("services/x/src/x.ts", text)).toEqual([]);
  });
});
