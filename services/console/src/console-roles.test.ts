import { describe, expect, it } from "vitest";
import { mayDo } from "./console-roles.ts";

describe("console roles", () => {
  it("give a viewer no payloads, no patient search and no re-run; an operator and an admin all three", () => {
    for (const permission of ["view-payload", "search-patient", "rerun"] as const) {
      expect(mayDo("viewer", permission)).toBe(false);
      expect(mayDo("operator", permission)).toBe(true);
      expect(mayDo("admin", permission)).toBe(true);
    }
  });
});
