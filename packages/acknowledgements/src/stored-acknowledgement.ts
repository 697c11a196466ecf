import type { StoredAcknowledgement } from "@carehub/ledger";
import type { NegativeAcknowledgement } from "./negative-acknowledgement.ts";

// The stored form is the message ledger's (`<ns>:ack:` / `<ns>:ackmsg:`); this is how the hub's own is made.
export { encodeStoredAcknowledgement, parseStoredAcknowledgement, type StoredAcknowledgement } from "@carehub/ledger";

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
