import { cpSync, mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  hashSources,
  START_BUNDLE_STALE_ENV,
  type StartBundleState,
  staleBundleHandOver,
  startBundleState,
  startBundleVerdict,
} from "./start-bundle.ts";

// A repository of three sources and a bundle built from them, as build-start.ts writes it.
const FILES = ["node_modules/.pnpm/dep@1.0.0/node_modules/dep/index.js", "pnpm-lock.yaml", "services/x/src/a.ts"];
let root: string;
let bundle: string;

function writeSources(): void {
  mkdirSync(join(root, "node_modules/.pnpm/dep@1.0.0/node_modules/dep"), { recursive: true });
  mkdirSync(join(root, "services/x/src"), { recursive: true });
  writeFileSync(join(root, FILES[0] as string), "module.exports = 1;\n");
  writeFileSync(join(root, "pnpm-lock.yaml"), "lockfileVersion: '9.0'\n");
  writeFileSync(join(root, "services/x/src/a.ts"), "export const a = 1;\n");
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "carehub-start-bundle-"));
  bundle = join(root, "dist");
  writeSources();
  mkdirSync(bundle);
  writeFileSync(join(bundle, "ops-listener.cjs"), '"use strict";\n');
  writeFileSync(join(bundle, "sources.json"), JSON.stringify({ files: FILES, hash: hashSources(root, FILES) }));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("the start bundle runs only while it is built from the sources on disk", () => {
  it("is fresh as built, and runs its cli.js", () => {
    expect(startBundleState(bundle, root)).toEqual({ state: "fresh", entry: join(bundle, "cli.js") });
  });

  it("is missing without its sources list (never built, or a build that did not finish)", () => {
    unlinkSync(join(bundle, "sources.json"));
    expect(startBundleState(bundle, root)).toEqual({ state: "missing" });
  });

  // Catches: a bundle whose sources are unchanged but whose built ops listener is gone taken as fresh — the process
  // re-execs onto it and fails when it starts the listener's thread, instead of running the sources.
  it("is missing without its built ops listener, though its sources are unchanged", () => {
    unlinkSync(join(bundle, "ops-listener.cjs"));
    expect(startBundleState(bundle, root)).toEqual({ state: "missing" });
  });

  it("is stale once a source is edited, even to the same length", () => {
    writeFileSync(join(root, "services/x/src/a.ts"), "export const a = 2;\n");
    expect(startBundleState(bundle, root).state).toBe("stale");
  });

  it("is stale once a source it was built from is gone", () => {
    unlinkSync(join(root, "services/x/src/a.ts"));
    expect(startBundleState(bundle, root).state).toBe("stale");
  });

  it("is stale once the lockfile changes (a dependency installed in another version)", () => {
    writeFileSync(join(root, "pnpm-lock.yaml"), "lockfileVersion: '9.0'\n# dep@1.0.1\n");
    expect(startBundleState(bundle, root).state).toBe("stale");
  });

  it("counts an installed dependency's file by its path: its content is the lockfile's to say", () => {
    writeFileSync(join(root, FILES[0] as string), "module.exports = 2;\n");
    expect(startBundleState(bundle, root).state).toBe("fresh");
    unlinkSync(join(root, FILES[0] as string));
    expect(startBundleState(bundle, root).state).toBe("fresh");
  });

  it("is stale in a copy of the checkout elsewhere: the bundle names its sources' absolute places", () => {
    const copy = `${root}-copy`;
    cpSync(root, copy, { recursive: true });
    try {
      expect(startBundleState(join(copy, "dist"), copy).state).toBe("stale");
      expect(startBundleState(bundle, root).state).toBe("fresh");
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it("is stale when its sources list names no file", () => {
    writeFileSync(join(bundle, "sources.json"), JSON.stringify({ files: [], hash: hashSources(root, []) }));
    expect(startBundleState(bundle, root).state).toBe("stale");
  });
});

describe("a stale bundle's verdict goes along with the CLI's re-exec (the sources hashed once per start)", () => {
  const PID = 4242;
  /** The real check on the stale fixture, counting how often the sources are read and hashed. */
  function counting(): { check: () => StartBundleState; hashed: () => number } {
    let count = 0;
    return {
      check: () => {
        count += 1;
        return startBundleState(bundle, root);
      },
      hashed: () => count,
    };
  }

  // Catches: the node the CLI replaces itself with hashing the ~1,300 files again (the verdict not handed over, or
  // not read): twice the start's hashing whenever the bundle is stale and the flags had to be added.
  it("hashes in the CLI that finds the bundle stale, and not again in the node it re-execs as", () => {
    writeFileSync(join(root, "services/x/src/a.ts"), "export const a = 2;\n");
    const first = counting();
    const env: NodeJS.ProcessEnv = {};
    const found = startBundleVerdict(env, PID, first.check);
    expect(found).toEqual({ bundle: { state: "stale" }, inherited: false });
    expect(first.hashed()).toBe(1);

    const childEnv: NodeJS.ProcessEnv = { ...env, ...staleBundleHandOver(found, PID) };
    const second = counting();
    expect(startBundleVerdict(childEnv, PID, second.check)).toEqual({ bundle: { state: "stale" }, inherited: true });
    expect(second.hashed()).toBe(0);
    // Not passed on to anything the hub starts.
    expect(childEnv[START_BUNDLE_STALE_ENV]).toBeUndefined();
  });

  // Catches: a hand-over that could let a bundle run unchecked — one inherited by another process (a stale
  // environment, a process the hub starts), or one handed over for a fresh bundle.
  it("hands over only a stale verdict, and only to the same pid; any other process checks for itself", () => {
    const fresh = counting();
    const verdict = startBundleVerdict({}, PID, fresh.check);
    expect(verdict.bundle.state).toBe("fresh");
    expect(staleBundleHandOver(verdict, PID)).toEqual({});

    const other = counting();
    const inherited: NodeJS.ProcessEnv = { [START_BUNDLE_STALE_ENV]: String(PID) };
    expect(startBundleVerdict(inherited, PID + 1, other.check).bundle.state).toBe("fresh");
    expect(other.hashed()).toBe(1);
    expect(inherited[START_BUNDLE_STALE_ENV]).toBeUndefined();
  });
});
