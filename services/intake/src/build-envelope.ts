import { hash } from "node:crypto";
import { type Envelope, type ParsedMessage, SCHEMA_VERSION } from "@carehub/schemas";
import type { IngressMessage } from "./ingress-message.ts";

/** The canonical envelope for PIPELINE: what the message says, plus where and when the hub got it. */
export function buildEnvelope(message: ParsedMessage, ingress: IngressMessage, fallbackContentType: string): Envelope {
  return {
    ...message,
    schemaVersion: SCHEMA_VERSION,
    hubId: ingress.hubId,
    sourceEndpoint: ingress.sourceEndpoint,
    receivedAt: ingress.receivedAt,
    payload: {
      stream: ingress.stream,
      seq: ingress.seq,
      contentType: ingress.contentType ?? fallbackContentType,
      sha256: hash("sha256", ingress.bytes, "hex"),
      size: ingress.bytes.byteLength,
    },
  };
}
