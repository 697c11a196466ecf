import { type LedgerKeys, ledgerKeys } from "@carehub/ledger";

/**
 * The Redis keys the router reads and writes (docs/contracts.md, "Redis keys"). The message ledger's keys
 * (first copies, stored acknowledgements, the received and routed markers) are spelled by the ledger
 * (packages/ledger); only the router's own routing fact is spelled here.
 */
export interface RouterKeys
  extends Pick<
    LedgerKeys,
    | "firstCopy"
    | "firstCopyField"
    | "messageId"
    | "formerMessageId"
    | "derivedHubId"
    | "receivedMark"
    | "received"
    | "formerReceived"
    | "markers"
    | "formerMarkers"
    | "markersPrefix"
    | "routedField"
    | "routed"
    | "hubAcknowledgement"
    | "relayedAcknowledgement"
  > {
  /** Hub id of the sender's latest lab result for a sample (a corrected result follows it). */
  labSample(endpoint: string, sampleId: string): string;
}

export function routerKeys(ns: string): RouterKeys {
  const ledger = ledgerKeys(ns);
  return {
    firstCopy: ledger.firstCopy,
    firstCopyField: ledger.firstCopyField,
    messageId: ledger.messageId,
    formerMessageId: ledger.formerMessageId,
    derivedHubId: ledger.derivedHubId,
    received: ledger.received,
    formerReceived: ledger.formerReceived,
    receivedMark: ledger.receivedMark,
    markers: ledger.markers,
    formerMarkers: ledger.formerMarkers,
    markersPrefix: ledger.markersPrefix,
    routedField: ledger.routedField,
    routed: ledger.routed,
    hubAcknowledgement: ledger.hubAcknowledgement,
    relayedAcknowledgement: ledger.relayedAcknowledgement,
    labSample: (endpoint, sampleId) => `${ns}:labsample:${endpoint}:${sampleId}`,
  };
}
