/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): self time per function and per area (a carehub package or
 * service, a dependency, Node internals, GC), as shares of the non-idle samples.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { dirname } from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

export interface HotSpot {
  name: string;
  share: number;
}

export interface ProfileSummary {
  samples: number;
  functions: HotSpot[];
  /** Self time by where the code lives. */
  areas: HotSpot[];
  /** The same, with Node internals and native code (socket writes, hashing, stack capture) charged to the
   *  nearest caller in a carehub package or a dependency: who causes the time. */
  charged: HotSpot[];
}

const UNCHARGED = new Set(["node:internal", "(native)", "(program)", "(garbage collector)", "(root)"]);

/** Where a script URL belongs: `packages/bus`, `@nats-io/nats-core`, `node:internal`, … */
export function areaOf(url: string, functionName: string): string {
  if (url === "") return functionName.startsWith("(") ? functionName : "(native)";
  const dependency = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dependency?.[1] !== undefined) return dependency[1];
  const own = /\/((?:packages|services)\/[^/]+|schemas)\//.exec(url);
  if (own?.[1] !== undefined) return own[1];
  if (url.startsWith("node:")) return "node:internal";
  return url;
}

const shortUrl = (url: string) => url.replace(/^.*\/(node_modules|packages|services|schemas)\//, "$1/");

export function summariseProfile(path: string, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, "utf8")) as { nodes: ProfileNode[] };
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  const charged = new Map<string, number>();
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const chargedArea = (node: ProfileNode): string => {
    for (let at: ProfileNode | undefined = node; at !== undefined; at = nodes.get(parents.get(at.id) ?? -1)) {
      const area = areaOf(at.callFrame.url, at.callFrame.functionName);
      if (!UNCHARGED.has(area) && !area.startsWith("wasm:")) return area;
    }
    return areaOf(node.callFrame.url, node.callFrame.functionName);
  };
  let total = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    const { functionName, url, lineNumber } = node.callFrame;
    if (hits === 0 || functionName === "(idle)") continue;
    total += hits;
    const fn = `${functionName || "(anonymous)"} ${url === "" ? "" : `${shortUrl(url)}:${lineNumber + 1}`}`.trim();
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + hits);
    const area = areaOf(url, functionName);
    byArea.set(area, (byArea.get(area) ?? 0) + hits);
    const payer = chargedArea(node);
    charged.set(payer, (charged.get(payer) ?? 0) + hits);
  }
  const rank = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, hits]) => ({ name, share: Number(((hits / total) * 100).toFixed(1)) }));
  return { samples: total, functions: rank(byFunction), areas: rank(byArea), charged: rank(charged) };
}

/** A share of a profile's samples: the first rule whose pattern matches a frame (`<url> <function>`) on the way
 *  from the sampled function up to the root names it; samples no rule claims are "other". */
export function sharesByStack(path: string, rules: ReadonlyArray<readonly [string, RegExp]>): HotSpot[] {
  const profile = JSON.parse(readFileSync(path, "utf8")) as { nodes: ProfileNode[] };
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const hitsByName = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0 || node.callFrame.functionName === "(idle)") continue;
    total += hits;
    let name = "other";
    for (let at: ProfileNode | undefined = node; at !== undefined && name === "other"; ) {
      const frame = `${at.callFrame.url} ${at.callFrame.functionName}`;
      name = rules.find(([, pattern]) => pattern.test(frame))?.[0] ?? "other";
      at = nodes.get(parents.get(at.id) ?? -1);
    }
    hitsByName.set(name, (hitsByName.get(name) ?? 0) + hits);
  }
  return [...hitsByName]
    .sort((a, b) => b[1] - a[1])
    .map(([name, hits]) => ({ name, share: Number(((hits / Math.max(total, 1)) * 100).toFixed(1)) }));
}

export interface RunningProfile {
  /** Stops the profiler and writes the profile (the format of node --cpu-prof) to `path`. */
  stop(path: string): Promise<void>;
}

/** Starts a V8 CPU profile of this process (1 ms samples), e.g. over a bench's measured load only. */
export async function startProfile(): Promise<RunningProfile> {
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 1_000 });
  await session.post("Profiler.start");
  return {
    async stop(path) {
      const { profile } = await session.post("Profiler.stop");
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, JSON.stringify(profile));
      session.disconnect();
    },
  };
}
