/** What `/readyz` answers: each dependency's probe, and `ok` only when every one answered in time. */
export interface Readiness {
  ready: boolean;
  body: { status: "ok" | "unavailable"; checks: Record<string, "ok" | "unavailable"> };
}

const PROBE_TIMEOUT_MS = 2_000;

/**
 * Runs every probe at once (NATS round trip, Redis PING, …); one that throws or takes longer than the limit
 * counts as unavailable, so a hung dependency makes `/readyz` answer 503 instead of hanging. The one
 * readiness check of every carehub process (the ops port and the gateway's API port).
 */
export async function checkReadiness(
  probes: Readonly<Record<string, () => Promise<unknown>>>,
  timeoutMs = PROBE_TIMEOUT_MS,
): Promise<Readiness> {
  const names = Object.keys(probes);
  const results = await Promise.all(names.map((name) => answers(probes[name], timeoutMs)));
  const checks = Object.fromEntries(names.map((name, i) => [name, results[i] ? "ok" : "unavailable"] as const));
  const ready = results.every(Boolean);
  return { ready, body: { status: ready ? "ok" : "unavailable", checks } };
}

async function answers(check: (() => Promise<unknown>) | undefined, timeoutMs: number): Promise<boolean> {
  if (check === undefined) return false;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([check().then(() => true as const), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
