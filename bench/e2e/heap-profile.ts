/**
 * Where a process's JavaScript heap allocations come from: V8's sampling heap profiler over the measured load only
 * (the format of node --heap-prof, a .heapprofile), and a summary of it by function and by area (mirroring
 * profile.ts's summary of a CPU profile).
 *
 * Taken over the inspector, not with `--heap-prof`: that flag's profile is written when the process exits, so a
 * run's start-up, warm-up and shutdown are in it, and it keeps only the sampled objects still alive then — the
 * garbage this instrument is for is the part it leaves out. `includeObjectsCollectedByMinorGC/MajorGC` keep every
 * sample, so each node's `selfSize` is V8's estimate of all the bytes allocated there over the window (each sample
 * scaled by the sampling interval), collected or not.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { dirname } from "node:path";
import { areaOf, type HotSpot } from "./profile.ts";

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children?: HeapNode[];
}

export interface HeapSummary {
  /** V8's estimate of the bytes allocated over the window, every sampled site together. */
  bytes: number;
  /** The estimate by the allocating function: each one's bytes and its share of `bytes` (%). */
  functions: Array<HotSpot & { bytes: number }>;
  /** The same by where the code lives (a carehub package or service, a dependency, Node internals). */
  areas: Array<HotSpot & { bytes: number }>;
  /** The same with Node internals and native frames charged to the nearest caller in a carehub package or a
   *  dependency: whose call allocates (a Buffer.from in node:buffer is charged to the code that called it). */
  charged: Array<HotSpot & { bytes: number }>;
  /** By the nearest carehub frame (a function of packages/* or services/*) on the way up: hub code's own share,
   *  dependencies' allocations included, which is what can be changed from here. */
  own: Array<HotSpot & { bytes: number }>;
}

const UNCHARGED = new Set(["node:internal", "(native)", "(program)", "(garbage collector)", "(root)", "(V8 API)"]);
const shortUrl = (url: string) => url.replace(/^.*\/(node_modules|packages|services|schemas)\//, "$1/");
const nameOf = (node: HeapNode) => {
  const { functionName, url, lineNumber } = node.callFrame;
  return `${functionName || "(anonymous)"} ${url === "" ? "" : `${shortUrl(url)}:${lineNumber + 1}`}`.trim();
};
const isOwn = (url: string) => /\/(packages|services)\/[^/]+\/src\//.test(url) && !url.includes("node_modules");

export function summariseHeapProfile(path: string, top = 25): HeapSummary {
  const profile = JSON.parse(readFileSync(path, "utf8")) as { head: HeapNode };
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  const charged = new Map<string, number>();
  const own = new Map<string, number>();
  const add = (map: Map<string, number>, key: string, bytes: number) => map.set(key, (map.get(key) ?? 0) + bytes);
  let total = 0;
  // Depth first with the path from the root: the nearest chargeable and the nearest carehub frame above each node.
  const walk = (node: HeapNode, payer: string | undefined, ownFrame: string | undefined) => {
    const area = areaOf(node.callFrame.url, node.callFrame.functionName);
    const chargeable = !UNCHARGED.has(area) && !area.startsWith("wasm:");
    const nextPayer = chargeable ? area : payer;
    const nextOwn = isOwn(node.callFrame.url) ? nameOf(node) : ownFrame;
    if (node.selfSize > 0) {
      total += node.selfSize;
      add(byFunction, nameOf(node), node.selfSize);
      add(byArea, area, node.selfSize);
      add(charged, nextPayer ?? area, node.selfSize);
      add(own, nextOwn ?? "(no carehub frame)", node.selfSize);
    }
    for (const child of node.children ?? []) walk(child, nextPayer, nextOwn);
  };
  walk(profile.head, undefined, undefined);
  const rank = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, bytes]) => ({ name, bytes, share: Number(((bytes / Math.max(total, 1)) * 100).toFixed(1)) }));
  return {
    bytes: total,
    functions: rank(byFunction),
    areas: rank(byArea),
    charged: rank(charged),
    own: rank(own),
  };
}

export interface RunningHeapProfile {
  /** Stops the sampler and writes the profile (the format of node --heap-prof) to `path`. */
  stop(path: string): Promise<void>;
}

/**
 * Starts V8's sampling heap profiler in this process, keeping the samples of objects already collected (see the
 * head of this file). One sample per 32 KiB allocated on average (V8's default): ~20 samples per message at the
 * hub's ~0.6 MB, a few thousand over a 3,000-message run, at a cost too small to see beside the run's spread.
 */
export async function startHeapProfile(samplingInterval = 32_768): Promise<RunningHeapProfile> {
  const session = new Session();
  session.connect();
  await session.post("HeapProfiler.enable");
  await session.post("HeapProfiler.startSampling", {
    samplingInterval,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  return {
    async stop(path) {
      const { profile } = await session.post("HeapProfiler.stopSampling");
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, JSON.stringify(profile));
      await session.post("HeapProfiler.disable");
      session.disconnect();
    },
  };
}
