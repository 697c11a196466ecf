import { describe, expect, it } from "vitest";
import { parseSimulatorArgs } from "./simulator-args.ts";

describe("simulator arguments", () => {
  it("reads every option, with defaults", () => {
    expect(parseSimulatorArgs(["--hub-url", "http://h", "--registry-out", "r.json"])).toEqual({
      hubUrl: "http://h",
      registryOut: "r.json",
      seed: 1,
      rate: 20,
      misbehave: false,
    });
    expect(
      parseSimulatorArgs([
        "--hub-url",
        "http://h",
        "--registry-out",
        "r.json",
        "--seed",
        "7",
        "--rate",
        "0.5",
        "--duration",
        "30",
        "--misbehave",
      ]),
    ).toEqual({ hubUrl: "http://h", registryOut: "r.json", seed: 7, rate: 0.5, durationMs: 30_000, misbehave: true });
  });

  it("refuses what it cannot use", () => {
    expect(parseSimulatorArgs(["--hub-url", "http://h"])).toEqual({
      error: "--hub-url and --registry-out are required",
    });
    expect(parseSimulatorArgs(["--bogus"])).toMatchObject({ error: "unknown argument --bogus" });
    expect(parseSimulatorArgs(["--hub-url", "h", "--registry-out", "r", "--rate", "0"])).toMatchObject({
      error: expect.stringContaining("--rate"),
    });
    expect(parseSimulatorArgs(["--hub-url", "h", "--registry-out", "r", "--seed", "x"])).toMatchObject({
      error: expect.stringContaining("--seed"),
    });
  });
});
