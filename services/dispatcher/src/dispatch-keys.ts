import { type LedgerKeys, ledgerKeys } from "@carehub/ledger";

/**
 * The Redis keys the dispatcher uses (docs/contracts.md, "Redis keys"). The delivered, dead-lettered and
 * attempt markers are the message ledger's (packages/ledger spells them); the circuit breaker's state is the
 * dispatcher's own.
 */
export interface DispatchKeys
  extends Pick<
    LedgerKeys,
    "markers" | "formerMarkers" | "deliveredField" | "resendsField" | "delivered" | "deadLettered" | "attempts"
  > {
  /** The endpoint's circuit-breaker state. */
  circuit(endpoint: string): string;
}

export function dispatchKeys(ns: string): DispatchKeys {
  const ledger = ledgerKeys(ns);
  return {
    markers: ledger.markers,
    formerMarkers: ledger.formerMarkers,
    deliveredField: ledger.deliveredField,
    resendsField: ledger.resendsField,
    delivered: ledger.delivered,
    deadLettered: ledger.deadLettered,
    attempts: ledger.attempts,
    circuit: (endpoint) => `${ns}:cb:${endpoint}`,
  };
}
