import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { BusinessStatus } from "@carehub/schemas";
import { describe, expect, it } from "vitest";
import { machineFor, type SubjectType } from "./state-machines.ts";

/*
 * docs/contracts.md, "Business status transitions", must say what the state machines do: each row's statuses
 * may go exactly to the listed ones. Catches a machine changed without its documentation (or the reverse).
 */
const contracts = readFileSync(fileURLToPath(new URL("../../../docs/contracts.md", import.meta.url)), "utf8");
const section = contracts.slice(contracts.indexOf("## Business status transitions"));
const codes = (cell: string) => [...cell.matchAll(/`([a-z-]+)`/g)].map((m) => m[1] as BusinessStatus);

function documented(): Map<string, BusinessStatus[]> {
  const moves = new Map<string, BusinessStatus[]>();
  for (const line of section.split("\n")) {
    const cells = line.split("|").map((c) => c.trim());
    const type = cells[1];
    if (type !== "referral" && type !== "task" && type !== "appointment") continue;
    for (const from of codes(cells[2] ?? "")) moves.set(`${type} ${from}`, codes(cells[3] ?? ""));
  }
  return moves;
}

describe("docs/contracts.md business status transitions", () => {
  it.each<SubjectType>(["referral", "task", "appointment"])("lists every status of a %s with its moves", (type) => {
    const machine = machineFor(type);
    const table = documented();
    for (const from of machine.statuses) {
      expect([...(table.get(`${type} ${from}`) ?? ["(missing)"])].sort(), `${type} ${from}`).toEqual(
        [...(machine.next[from] ?? [])].sort(),
      );
    }
  });
});
