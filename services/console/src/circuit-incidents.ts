import type { Logger } from "@carehub/observability";
import type { RegistrySource } from "@carehub/registry";
import type { IncidentStore } from "./incident-store.ts";

/** An endpoint's circuit-breaker state as the dispatcher keeps it (wired by the hub: services never import each other). */
export type CircuitStateOf = (endpoint: string) => Promise<"closed" | "open" | "half-open">;

/** How often the endpoints' circuits are read. */
export const CIRCUIT_POLL_MS = 2_000;

/**
 * Opens an incident when an endpoint's circuit opens and closes it when the circuit is closed again (a half-open
 * circuit is still disrupted). Every console copy may run it: the incident store claims each opening once.
 */
export function watchCircuits(deps: {
  registry: RegistrySource;
  circuitState: CircuitStateOf;
  incidents: IncidentStore;
  logger: Logger;
  intervalMs?: number;
}): { check(): Promise<void>; stop(): void } {
  const check = async () => {
    for (const endpoint of deps.registry.current().endpoints()) {
      const state = await deps.circuitState(endpoint.id);
      const opened = state === "closed" ? undefined : await deps.incidents.openForCircuit(endpoint.id);
      const closed = state === "closed" ? await deps.incidents.closeForCircuit(endpoint.id) : undefined;
      if (opened !== undefined)
        deps.logger.warn({ endpoint: endpoint.id, incident: opened.id }, "incident opened: circuit open");
      if (closed !== undefined)
        deps.logger.info({ endpoint: endpoint.id, incident: closed.id }, "incident closed: circuit closed");
    }
  };
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    check()
      .catch((error: unknown) => deps.logger.warn({ err: error }, "console could not check the circuits"))
      .finally(() => {
        running = false;
      });
  }, deps.intervalMs ?? CIRCUIT_POLL_MS);
  return { check, stop: () => clearInterval(timer) };
}
