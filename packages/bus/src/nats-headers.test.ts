import { Match, type MsgHdrs, MsgHdrsImpl } from "@nats-io/nats-core";
import { afterEach, describe, expect, it, vi } from "vitest";

// The pnpm patch of @nats-io/nats-core (patches/, docs/decisions/0094) makes an exact header lookup a map lookup:
// unpatched, every get / has / set / append listed every key into an array and filtered it, on each header line
// of each message decoded and each header set on each publish. This fails when the patch is lost.
afterEach(() => vi.restoreAllMocks());

const block = (lines: string[]) => new TextEncoder().encode(`NATS/1.0\r\n${lines.join("\r\n")}\r\n\r\n`);

describe("nats-core headers (patched)", () => {
  it("decodes, reads and sets exact names without listing the keys", () => {
    const listed = vi.spyOn(MsgHdrsImpl.prototype, "keys");
    const hdrs = MsgHdrsImpl.decode(block(["Nats-Msg-Id: m-1", "Carehub-Kind: lab-result", "traceparent: 00-ab"]));
    expect(hdrs.get("Carehub-Kind")).toBe("lab-result");
    expect(hdrs.has("traceparent")).toBe(true);
    expect(hdrs.has("carehub-kind")).toBe(false); // exact: case matters
    hdrs.set("Carehub-Kind", "order");
    hdrs.append("Carehub-Kind", "again");
    hdrs.delete("Nats-Msg-Id");
    expect(hdrs.values("Carehub-Kind")).toEqual(["order", "again"]);
    expect([...hdrs].map(([key]) => key)).toEqual(["traceparent", "Carehub-Kind"]);
    expect(listed).not.toHaveBeenCalled();
    // Other match modes are as they were.
    expect((hdrs as MsgHdrs).get("carehub-kind", Match.IgnoreCase)).toBe("order");
    expect(listed).toHaveBeenCalled();
  });

  it("still refuses a header name nats-core refuses, with its error, and keeps names as given", () => {
    const hdrs = new MsgHdrsImpl();
    for (const bad of ["Bad:Name", "Bad Name", "Bäd"]) {
      expect(() => hdrs.set(bad, "v")).toThrow(/is not a valid character in a header name/);
    }
    hdrs.set("carehub-lower", "v");
    expect(hdrs.get("carehub-lower")).toBe("v");
    expect(() => hdrs.set("Ok", "line\nbreak")).toThrow(/values cannot contain/);
    (hdrs as MsgHdrs).set("x-canon", "v", Match.CanonicalMIME);
    expect(hdrs.get("X-Canon")).toBe("v");
  });
});
