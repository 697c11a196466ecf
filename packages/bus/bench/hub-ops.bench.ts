/**
 * What the bus costs per message in the hub's own shape, client CPU only (process user + system time):
 *   - publishJson: an envelope-sized JSON (≈ 0.4 KB) with two carehub headers, 64 outstanding
 *   - publish: a 2.7 KB letter with the router's six OUTBOX headers and expectStream, 64 outstanding
 *   - consume: a durable pull consumer decoding JSON with hubJsonDecoder, the handler reading headers and msgId
 *   - getMessage: the 2.7 KB letters read back by sequence from OUTBOX (the router's read of INGRESS), 64 at once
 * `pnpm bench:bus` compares the bus with the raw client on bare payloads; this one follows the bus's own changes.
 * Usage: node packages/bus/bench/hub-ops.bench.ts (env: NATS_URL, default the shared server; BENCH_MESSAGES, 5,000;
 * BENCH_RUNS, 3; BUS_ROOT: another checkout whose packages/bus to measure, for alternating before / after).
 */
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";

const root = process.env.BUS_ROOT ?? fileURLToPath(new URL("../../../", import.meta.url));
const { connectBus, hubJsonDecoder } = (await import(
  `${root}/packages/bus/src/index.ts`
)) as typeof import("../src/index.ts");
const { cleanupNamespace, testNamespace } = (await import(
  `${root}/packages/testkit/src/index.ts`
)) as typeof import("@carehub/testkit");

const N = Number(process.env.BENCH_MESSAGES ?? 5_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const WINDOW = 64;
const letter = new Uint8Array(2_700).fill(60);
const envelope = {
  hubId: "01JEXAMPLEHUBID000000000000",
  messageId: "abc-123-def",
  kind: "lab-result",
  sourceEndpoint: "lab-1",
  receivedAt: new Date().toISOString(),
  payload: { stream: "X_INGRESS", seq: 12_345, contentType: "application/xml", bytes: 2_700 },
  facts: { sender: "5790000000001", receivers: ["5790000000002", "5790000000003"], letterType: "XRPT01" },
};
const outboxHeaders = (i: number): Record<string, string> => ({
  "Carehub-Hub-Id": `hub-${i}`,
  "Carehub-Source-Endpoint": "lab-1",
  "Carehub-Message-Id": `m-${i}`,
  "Carehub-Receiver": "gp-2",
  "Carehub-Kind": "lab-result",
  "Carehub-Translated-From": `hub-${i}x`,
});

/** Runs `send(i)` for i in [0, N) with at most WINDOW unresolved at a time. */
async function windowed(send: (i: number) => Promise<unknown>): Promise<void> {
  let inFlight = 0;
  let wake: (() => void) | undefined;
  let failure: unknown;
  for (let i = 0; i < N; i++) {
    while (inFlight >= WINDOW) await new Promise<void>((resolve) => (wake = resolve));
    inFlight++;
    send(i)
      .then(
        () => undefined,
        (error: unknown) => (failure = error),
      )
      .finally(() => {
        inFlight--;
        const w = wake;
        wake = undefined;
        w?.();
      });
  }
  while (inFlight > 0) await new Promise<void>((resolve) => (wake = resolve));
  if (failure !== undefined) throw failure;
}

async function cpuPerMessage(work: () => Promise<void>): Promise<number> {
  const before = process.cpuUsage();
  await work();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / N;
}

const namespace = testNamespace("hubops");
const bus = await connectBus({ servers: process.env.NATS_URL ?? "nats://127.0.0.1:4222", name: "hub-ops", namespace });
const results: Record<string, number[]> = { publishJson: [], publish: [], consume: [], getMessage: [] };
try {
  await bus.provision({ replicas: 1 });
  const t = bus.topology;
  for (let run = 0; run < RUNS; run++) {
    const pipeline = t.subjects.pipeline(`lab-result-${run}`);
    results.publishJson?.push(
      await cpuPerMessage(() =>
        windowed((i) =>
          bus.publishJson(
            pipeline,
            { ...envelope, hubId: `r${run}-${i}` },
            {
              msgId: `pj${run}-${i}`,
              headers: { "Carehub-Kind": "lab-result", "Carehub-Hub-Id": `r${run}-${i}` },
            },
          ),
        ),
      ),
    );
    const outbox = t.subjects.outbox(`gp${run}`);
    const seqs: number[] = [];
    results.publish?.push(
      await cpuPerMessage(() =>
        windowed(async (i) => {
          const sent = await bus.publish(outbox, letter, {
            msgId: `pb${run}-${i}`,
            contentType: "application/xml",
            expectStream: t.streams.outbox,
            headers: outboxHeaders(i),
          });
          seqs[i] = sent.seq;
        }),
      ),
    );
    let consumed = 0;
    let read = 0;
    let done: () => void = () => {};
    const finished = new Promise<void>((resolve) => (done = resolve));
    results.consume?.push(
      await cpuPerMessage(async () => {
        const running = await bus.consume<typeof envelope>({
          stream: t.streams.pipeline,
          durable: `hub-ops-${run}`,
          filterSubject: pipeline,
          stage: "bench",
          decode: hubJsonDecoder((value: unknown) => value as typeof envelope),
          handler: async (message) => {
            read += (message.headers["Carehub-Hub-Id"]?.length ?? 0) + (message.msgId?.length ?? 0);
            read += message.deliveryCount + message.body.payload.seq;
            if (++consumed === N) done();
          },
        });
        await finished;
        await running.stop();
      }),
    );
    results.getMessage?.push(
      await cpuPerMessage(() =>
        windowed(async (i) => {
          const stored = await bus.getMessage(t.streams.outbox, seqs[i] ?? 0);
          if (stored === null) throw new Error(`OUTBOX #${seqs[i]} not found`);
          read += stored.data.length + (stored.headers["Carehub-Kind"]?.length ?? 0);
        }),
      ),
    );
    if (read === 0) throw new Error("nothing read");
  }
} finally {
  await cleanupNamespace({ bus, namespace });
  await bus.drain();
}
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
console.log(
  `${root} load ${loadavg()[0]?.toFixed(1)}; µs CPU per message, median [runs]: ${Object.entries(results)
    .map(([name, runs]) => `${name} ${median(runs).toFixed(1)} [${runs.map((r) => r.toFixed(1)).join(" ")}]`)
    .join(" | ")}`,
);
