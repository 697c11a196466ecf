import type { NegativeAcknowledgement } from "./negative-acknowledgement.ts";

/**
 * An acknowledgement kept in Redis so that it can be sent again when its message arrives again:
 * `<ns>:ack:<hubId>` for one the hub made itself, `<ns>:ackmsg:<hubId>` for a receiver's acknowledgement
 * relayed by the router. JSON; contentType and base64 are required, the rest labels the resend.
 */
export interface StoredAcknowledgement {
  contentType: string;
  base64: string;
  hubId?: string;
  messageId?: string;
  /** Registry id of the endpoint that made it, or the hub's own id. */
  sourceEndpoint?: string;
}

export function storedAcknowledgement(
  ack: Pick<NegativeAcknowledgement, "contentType" | "bytes" | "hubId" | "messageId">,
  sourceEndpoint: string,
): Required<StoredAcknowledgement> {
  return {
    contentType: ack.contentType,
    base64: Buffer.from(ack.bytes).toString("base64"),
    hubId: ack.hubId,
    messageId: ack.messageId,
    sourceEndpoint,
  };
}

export function parseStoredAcknowledgement(text: string | null): StoredAcknowledgement | undefined {
  if (text === null) return undefined;
  try {
    const value = JSON.parse(text) as Partial<StoredAcknowledgement> | null;
    if (typeof value?.contentType !== "string" || typeof value.base64 !== "string") return undefined;
    return value as StoredAcknowledgement;
  } catch {
    return undefined;
  }
}
