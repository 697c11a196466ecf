/** Per-process CPU and memory over a measured interval, and latency percentiles. */
import { type ProcSample, sampleProcess, sampleSelf } from "./infra.ts";

export interface ProcessFigures {
  /** user + system CPU over the interval, per message. */
  cpuMicrosPerMsg: number;
  /** Share of one core over the interval. */
  coreShare: number;
  rssMB: number;
  peakRssMB: number;
}

type Target = number | "self";
const sample = (target: Target): ProcSample => (target === "self" ? sampleSelf() : sampleProcess(target));
const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);

export class CpuMeter {
  #before = new Map<string, ProcSample>();
  #startedAt = 0;

  readonly targets: Record<string, Target>;

  constructor(targets: Record<string, Target>) {
    this.targets = targets;
  }

  start(): void {
    this.#startedAt = performance.now();
    for (const [name, target] of Object.entries(this.targets)) this.#before.set(name, sample(target));
  }

  /** Figures per process, CPU divided by `messages`. */
  stop(messages: number): Record<string, ProcessFigures> {
    const seconds = (performance.now() - this.#startedAt) / 1000;
    const figures: Record<string, ProcessFigures> = {};
    for (const [name, target] of Object.entries(this.targets)) {
      const before = this.#before.get(name);
      let after: ProcSample;
      try {
        after = sample(target);
      } catch {
        continue; // ended before the interval did
      }
      const cpu = after.cpuMicros - (before?.cpuMicros ?? 0);
      figures[name] = {
        cpuMicrosPerMsg: Math.round(cpu / Math.max(messages, 1)),
        coreShare: Number((cpu / 1e6 / seconds).toFixed(2)),
        rssMB: mb(after.rssBytes),
        peakRssMB: mb(after.peakRssBytes),
      };
    }
    return figures;
  }
}

export interface Percentiles {
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

export function percentiles(values: readonly number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const round = (v: number) => Math.round(v * 10) / 10;
  return { p50: round(at(0.5)), p99: round(at(0.99)), p999: round(at(0.999)), max: round(sorted.at(-1) ?? 0) };
}
