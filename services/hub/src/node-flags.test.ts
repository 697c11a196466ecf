import { describe, expect, it } from "vitest";
import { HUB_NODE_FLAGS, missingNodeEnv, missingNodeFlags } from "./node-flags.ts";

describe("missingNodeFlags", () => {
  it("names the hub's flags a process started without", () => {
    expect(missingNodeFlags([], undefined)).toEqual([...HUB_NODE_FLAGS]);
    expect(missingNodeFlags(["--enable-source-maps"], "--trace-warnings")).toEqual([...HUB_NODE_FLAGS]);
  });

  it("counts a flag as given on the command line or in NODE_OPTIONS, whatever value the operator chose", () => {
    expect(missingNodeFlags([...HUB_NODE_FLAGS], undefined)).toEqual([]);
    expect(missingNodeFlags([], "--trace-warnings --max-semi-space-size=32")).toEqual([]);
    expect(missingNodeFlags(["--max-semi-space-size=2"], undefined)).toEqual([]);
  });

  it("does not take a longer flag that starts with the same name for it", () => {
    expect(missingNodeFlags(["--max-semi-space-size-extra=1"], undefined)).toEqual([...HUB_NODE_FLAGS]);
  });
});

describe("missingNodeEnv", () => {
  it("turns node's compile cache on in the user's own cache directory when the operator said nothing", () => {
    expect(missingNodeEnv({}, "home-of-hub")).toEqual({
      NODE_COMPILE_CACHE: "home-of-hub/.cache/carehub/node-compile-cache",
    });
    expect(missingNodeEnv({ XDG_CACHE_HOME: "xdg-cache" }, "home-of-hub")).toEqual({
      NODE_COMPILE_CACHE: "xdg-cache/carehub/node-compile-cache",
    });
  });

  it("leaves an operator's own cache directory, or their choice to have none, alone", () => {
    expect(missingNodeEnv({ NODE_COMPILE_CACHE: "operators-own-cache" }, "home-of-hub")).toEqual({});
    expect(missingNodeEnv({ NODE_DISABLE_COMPILE_CACHE: "1" }, "home-of-hub")).toEqual({});
  });
});
