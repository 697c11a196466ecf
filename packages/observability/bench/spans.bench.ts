/**
 * CPU per hop of the hub's spans with tracing off (no exporter): a message's trace context read from its headers, a
 * consumer span around the handler, a producer span for what it publishes with the context written into the next
 * hop's headers — the shape of packages/bus's consumer and publisher, through withSpan. Alternates two checkouts'
 * packages/observability in one process (each `startTracing` replaces the other's global registration), best of
 * eight rounds each, in alternating order: the machine is shared.
 * Usage: OBSERVABILITY_ROOT=<other checkout> node packages/observability/bench/spans.bench.ts
 * (without it, this checkout against itself).
 */
import { fileURLToPath } from "node:url";

type Tracing = typeof import("../src/tracing.ts");

const here = fileURLToPath(new URL("../../../", import.meta.url));
const other = process.env.OBSERVABILITY_ROOT ?? here;
const load = async (root: string): Promise<Tracing> =>
  (await import(`${root.replace(/\/?$/, "/")}packages/observability/src/tracing.ts`)) as Tracing;
const checkouts: Array<[string, Tracing]> = [
  [`before (${other})`, await load(other)],
  [`after (${here})`, await load(here)],
];

const HOPS = 20_000;
const incoming = { traceparent: `00-${"4bf92f3577b34da6a3ce929d0e0e4736"}-${"00f067aa0ba902b7"}-01` };

async function cpuMicrosPerHop(tracing: Tracing): Promise<number> {
  const handle = tracing.startTracing({ exporter: "none", env: {} });
  try {
    const before = process.cpuUsage();
    for (let i = 0; i < HOPS; i++) {
      const parent = tracing.extractTraceContext(incoming);
      await tracing.withSpan(
        "process PIPELINE",
        tracing.SpanKind.CONSUMER,
        { "messaging.system": "nats", "carehub.kind": "lab-result" },
        async () => {
          const next: Record<string, string> = {};
          await tracing.withSpan(
            "publish OUTBOX",
            tracing.SpanKind.PRODUCER,
            { "messaging.destination.name": "outbox" },
            async () => {
              tracing.injectTraceContext(next);
            },
          );
          if (next.traceparent === undefined) throw new Error("no trace context written");
        },
        parent,
      );
    }
    const used = process.cpuUsage(before);
    return (used.user + used.system) / HOPS;
  } finally {
    await handle.shutdown();
  }
}

/** The span alone: started under the message's context, its context written into headers, ended. */
async function cpuMicrosPerSpan(tracing: Tracing): Promise<number> {
  const handle = tracing.startTracing({ exporter: "none", env: {} });
  try {
    const parent = tracing.extractTraceContext(incoming);
    const next: Record<string, string> = {};
    const before = process.cpuUsage();
    for (let i = 0; i < HOPS * 5; i++) {
      const span = tracing.tracer.startSpan("publish OUTBOX", { kind: tracing.SpanKind.PRODUCER }, parent);
      next.traceparent = span.spanContext().spanId;
      span.end();
    }
    const used = process.cpuUsage(before);
    return (used.user + used.system) / (HOPS * 5);
  } finally {
    await handle.shutdown();
  }
}

const best = new Map<string, { hop: number; span: number }>();
for (let round = 0; round < 8; round++) {
  for (const [name, tracing] of round % 2 === 0 ? checkouts : [...checkouts].reverse()) {
    const hop = await cpuMicrosPerHop(tracing);
    const span = await cpuMicrosPerSpan(tracing);
    const was = best.get(name) ?? { hop: Number.POSITIVE_INFINITY, span: Number.POSITIVE_INFINITY };
    best.set(name, { hop: Math.min(was.hop, hop), span: Math.min(was.span, span) });
  }
}
for (const [name, { hop, span }] of best) {
  console.log(`${name}: ${hop.toFixed(2)} µs CPU per hop (two spans), ${span.toFixed(2)} µs per span alone`);
}
