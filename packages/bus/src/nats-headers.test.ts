import { Match, type MsgHdrs, MsgHdrsImpl } from "@nats-io/nats-core";
import { afterEach, describe, expect, it, vi } from "vitest";
import { headersToRecord, parseHeaderBlock, recordToHeaders } from "./headers.ts";

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

describe("parseHeaderBlock (the consumer's read of a received message's headers)", () => {
  const viaClient = (text: string) => headersToRecord(MsgHdrsImpl.decode(new TextEncoder().encode(text)));

  it("reads what nats-core's decoder reads, on hand-picked blocks", () => {
    for (const text of [
      "NATS/1.0\r\n\r\n",
      "NATS/1.0\r\nNats-Msg-Id: m-1\r\nCarehub-Kind: lab-result\r\n\r\n",
      "NATS/1.0 503\r\n\r\n",
      "NATS/1.0\r\nA: first\r\nA: second\r\nb:  spaced value  \r\n\r\n",
      "NATS/1.0\r\nX-Url: https://example.org:8443/a?b=c\r\nEmpty:\r\nnocolon\r\n\r\n",
      "NATS/1.0\r\nCarehub-Source: Lægehuset Ærø ✓\r\ntraceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n\r\n",
    ]) {
      expect(parseHeaderBlock(text), JSON.stringify(text)).toEqual(viaClient(text));
    }
  });

  it("reads what nats-core's decoder reads, on generated blocks", () => {
    let seed = 15;
    const next = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    const nameChars = "ABCXYZabcxyz019-_.";
    const valueChars = "abcXYZ 019:;,./-_=+?!æøå✓\t";
    const pick = (chars: string, length: number) =>
      Array.from({ length }, () => [...chars][next([...chars].length)]).join("");
    for (let i = 0; i < 500; i++) {
      const lines = Array.from(
        { length: next(8) },
        () => `${pick(nameChars, 1 + next(12))}:${pick(valueChars, next(30))}`,
      );
      const text = `NATS/1.0\r\n${lines.join("\r\n")}\r\n\r\n`;
      expect(parseHeaderBlock(text), JSON.stringify(text)).toEqual(viaClient(text));
    }
  });
});

describe("recordToHeaders (a publish's headers)", () => {
  /** What nats-core's own `set` makes of the record, line breaks flattened first as before: the reference. */
  const viaSet = (record: Record<string, string>, into: MsgHdrsImpl) => {
    for (const [key, value] of Object.entries(record)) into.set(key, value.replace(/[\r\n]+/g, " "));
    return into;
  };
  const outcome = (build: () => MsgHdrsImpl) => {
    try {
      // The encoded block, as it goes on the wire: the order of the lines counts (a record would not show it).
      return { block: build().toString() };
    } catch (error) {
      return { error: String(error) };
    }
  };

  it("stores what nats-core's set stores, and refuses what it refuses with its error, without calling it", () => {
    // Bugs caught: a name nats-core refuses (a colon, a space, a non-ASCII letter) let through into the header block,
    // where it would end the name early; a value stored untrimmed or with a line break (a forged header line); a
    // preset header (Content-Type) not replaced by the caller's, or replaced in place where `set` moved it to the end
    // (redrive's publishes pass Carehub-Schema-Version and Content-Type again: another block on the wire); and the
    // per-header `set` back on every publish.
    let seed = 27;
    const next = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    const nameChars = [..."ABCxyz09-_.:ä ~\u007f!"];
    const valueChars = [..."abc XYZ 019:;,./æøå✓\t\r\n"];
    const pick = (chars: string[], length: number) => Array.from({ length }, () => chars[next(chars.length)]).join("");
    const set = vi.spyOn(MsgHdrsImpl.prototype, "set");
    const preset = () => {
      const into = new MsgHdrsImpl();
      into.headers.set("Content-Type", ["text/plain"]);
      into.headers.set("Carehub-Schema-Version", ["1"]);
      return into;
    };
    let refused = 0;
    for (let i = 0; i < 500; i++) {
      const record: Record<string, string> = {};
      for (let n = next(6); n > 0; n--) record[pick(nameChars, 1 + next(10))] = pick(valueChars, next(20));
      if (next(3) === 0) record["Content-Type"] = " application/xml ";
      if (next(3) === 0) record["Carehub-Schema-Version"] = "1";
      const reference = outcome(() => viaSet(record, preset()));
      set.mockClear();
      const ours = outcome(() => recordToHeaders(record, preset()));
      expect(set).not.toHaveBeenCalled();
      expect(ours, JSON.stringify(record)).toEqual(reference);
      if ("error" in reference) refused++;
    }
    // Both kinds of record were tried.
    expect(refused).toBeGreaterThan(50);
    expect(refused).toBeLessThan(450);
  });
});
