import type { Endpoint, HubIdentity, Party, RoutingRule } from "@carehub/schemas";

/**
 * What the router needs from the endpoint registry (`@carehub/registry`'s EndpointRegistry satisfies it).
 * Kept as a narrow interface so the pure route resolver can be tested with a plain object.
 */
export interface RoutingRegistry {
  /** The endpoint a party names (by SOR id or GLN), if registered. */
  resolveParty(party: Party): Endpoint | undefined;
  byId(id: string): Endpoint | undefined;
  rules(): readonly RoutingRule[];
  readonly hub: HubIdentity;
}

/** Who a party in a message's addressing is, as far as the hub is concerned. */
export type Addressee =
  | { type: "endpoint"; endpoint: Endpoint }
  /** The hub itself (it receives acknowledgements of the messages it made, e.g. status updates). */
  | { type: "hub" }
  | { type: "unknown" };

export function resolveAddressee(party: Party, registry: RoutingRegistry): Addressee {
  const hub = registry.hub;
  if ((party.sor !== undefined && party.sor === hub.sor) || (party.gln !== undefined && party.gln === hub.gln)) {
    return { type: "hub" };
  }
  const endpoint = registry.resolveParty(party);
  return endpoint === undefined ? { type: "unknown" } : { type: "endpoint", endpoint };
}

/** How a party is named in an issue message: organisational identifiers only, never patient data. */
export function describeParty(party: Party): string {
  const names: string[] = [];
  if (party.sor !== undefined) names.push(`SOR ${party.sor}`);
  if (party.gln !== undefined) names.push(`GLN ${party.gln}`);
  return names.join(" / ");
}
