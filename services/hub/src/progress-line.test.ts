import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { progressLine } from "./progress-line.ts";

function stderr(isTTY: boolean) {
  const stream = new PassThrough() as PassThrough & { isTTY?: boolean };
  stream.isTTY = isTTY;
  let text = "";
  stream.on("data", (chunk: Buffer) => {
    text += chunk.toString();
  });
  return { stream, text: () => text };
}

describe("progressLine", () => {
  it("on a terminal rewrites one line in place, at most once per interval but always the final state", () => {
    const out = stderr(true);
    let now = 0;
    const line = progressLine({ stderr: out.stream, requested: false, intervalMs: 100, now: () => now });
    line.update("1/3");
    now = 50;
    line.update("2/3"); // within the interval: dropped
    line.update("3/3", true);
    line.end();
    expect(out.text()).toBe("\r\x1b[K1/3\r\x1b[K3/3\n");
  });

  it("without a terminal writes nothing unless asked, and then whole lines", () => {
    const silent = stderr(false);
    const quiet = progressLine({ stderr: silent.stream, requested: false });
    quiet.update("1/1", true);
    quiet.end();
    expect(silent.text()).toBe("");
    const asked = stderr(false);
    const line = progressLine({ stderr: asked.stream, requested: true, intervalMs: 100, now: () => 0 });
    line.update("1/2");
    line.update("2/2", true);
    line.end();
    expect(asked.text()).toBe("1/2\n2/2\n");
  });
});
