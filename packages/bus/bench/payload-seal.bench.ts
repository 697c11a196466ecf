/**
 * The CPU cost of payload encryption at rest (docs/decisions/0032): seal + open of one payload, per size, with the
 * bus's own PayloadCipher. No NATS: the cost the bus adds to each publish and each read of a sealed stream.
 * Reported as CPU time (process.cpuUsage), not wall time: on a shared, loaded machine wall time mostly measures
 * the other processes.
 * Usage: node packages/bus/bench/payload-seal.bench.ts   (env: BENCH_SECONDS per size, default 1)
 */
import { cpus, loadavg } from "node:os";
import { PayloadCipher } from "../src/payload-encryption.ts";
import { topology } from "../src/topology.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 1);
const SIZES = [1024, 8 * 1024, 64 * 1024, 1024 * 1024];
const cipher = PayloadCipher.fromKeyring([{ id: "bench", base64: Buffer.alloc(32, 5).toString("base64") }], topology());
if (cipher === undefined) throw new Error("no cipher");

// Warm-up: the first calls pay for loading OpenSSL's cipher and the JIT.
for (let i = 0; i < 2_000; i++) cipher.open(cipher.seal(new Uint8Array(1024)).data, "bench");

console.log(`payload seal+open, ${cpus().length} cores, load ${loadavg()[0]?.toFixed(1)}, ${SECONDS} s per size`);
console.log("| payload | CPU per seal+open | MB/s per core |");
console.log("|---|---|---|");
for (const size of SIZES) {
  const payload = new Uint8Array(size).fill(120);
  let count = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const until = started + SECONDS * 1000;
  while (performance.now() < until) {
    for (let i = 0; i < 20; i++) {
      const sealed = cipher.seal(payload);
      cipher.open(sealed.data, sealed.keyId);
      count++;
    }
  }
  const cpu = process.cpuUsage(cpuBefore);
  const cpuUs = cpu.user + cpu.system;
  const perMessageUs = cpuUs / count;
  const mbPerSecond = (count * size) / (cpuUs / 1e6) / 1e6;
  console.log(`| ${size / 1024} KiB | ${perMessageUs.toFixed(1)} µs | ${mbPerSecond.toFixed(0)} |`);
}
