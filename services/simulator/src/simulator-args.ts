/** Arguments of the standalone simulator (`node services/simulator/src/main.ts`). */
export interface SimulatorArgs {
  hubUrl: string;
  registryOut: string;
  seed: number;
  rate: number;
  durationMs?: number;
  misbehave: boolean;
}

export const SIMULATOR_USAGE = `usage: node services/simulator/src/main.ts --hub-url URL --registry-out FILE
         [--seed N] [--rate MSG_PER_S] [--duration SECONDS] [--misbehave]

Writes the simulated region's endpoint registry to FILE (start or point the hub at it with
CAREHUB_REGISTRY=FILE; the hub reloads it), waits until the hub knows the endpoints, then sends.`;

export function parseSimulatorArgs(argv: readonly string[]): SimulatorArgs | { error: string } {
  const values = new Map<string, string>();
  let misbehave = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] ?? "";
    if (flag === "--misbehave") {
      misbehave = true;
      continue;
    }
    if (!["--hub-url", "--registry-out", "--seed", "--rate", "--duration"].includes(flag)) {
      return { error: `unknown argument ${flag}` };
    }
    const value = argv[i + 1];
    if (value === undefined) return { error: `${flag} needs a value` };
    values.set(flag, value);
    i++;
  }
  const hubUrl = values.get("--hub-url");
  const registryOut = values.get("--registry-out");
  if (hubUrl === undefined || registryOut === undefined) return { error: "--hub-url and --registry-out are required" };
  const number = (flag: string, fallback: number) => Number(values.get(flag) ?? fallback);
  const seed = number("--seed", 1);
  const rate = number("--rate", 20);
  const duration = values.get("--duration");
  if (!Number.isInteger(seed)) return { error: "--seed must be an integer" };
  if (!(rate > 0)) return { error: "--rate must be a positive number" };
  if (duration !== undefined && !(Number(duration) > 0))
    return { error: "--duration must be a positive number of seconds" };
  return {
    hubUrl,
    registryOut,
    seed,
    rate,
    misbehave,
    ...(duration === undefined ? {} : { durationMs: Number(duration) * 1000 }),
  };
}
