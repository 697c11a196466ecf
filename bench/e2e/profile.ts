/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): self time per function and per area (a carehub package or
 * service, a dependency, Node internals, GC), as shares of the non-idle samples.
 */
import { readFileSync } from "node:fs";

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
