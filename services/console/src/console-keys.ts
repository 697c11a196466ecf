/**
 * The console's Redis keys, spelled once (docs/contracts.md "Redis keys"). A session is filed under the sha256 of
 * its cookie value, so whoever reads Redis cannot sign in with what they find there.
 */
export interface ConsoleKeys {
  session(idSha256: string): string;
  /** Hash: incident id → the incident (JSON). Kept until deleted by hand: the DAP steering group reviews them. */
  incidents(): string;
  /** Sorted set of incident ids by the time they opened (epoch ms). */
  incidentsByStart(): string;
  /** The id of the incident opened automatically for an endpoint's open circuit, while it is open. */
  circuitIncident(endpoint: string): string;
  /** An OpenID Connect sign-in under way: its PKCE verifier and nonce, by its state value (one use, 10 minutes). */
  oidcPending(state: string): string;
}

export function consoleKeys(ns: string): ConsoleKeys {
  return {
    session: (idSha256) => `${ns}:console:session:${idSha256}`,
    incidents: () => `${ns}:console:incidents`,
    incidentsByStart: () => `${ns}:console:incidents:by-start`,
    circuitIncident: (endpoint) => `${ns}:console:incident-circuit:${endpoint}`,
    oidcPending: (state) => `${ns}:console:oidc:${state}`,
  };
}
