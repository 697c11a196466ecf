import type { Bus } from "@carehub/bus";
import { BusPublishRejectedError, HEADER, inlineMessageLimit, serverMaxPayload } from "@carehub/bus";
import type { DeliveryOutcome } from "./delivery-outcome.ts";
import { DISPATCH_ERROR_CODES } from "./dispatch-errors.ts";
import { type DeliveryMessage, deliveryId } from "./http-delivery.ts";

/**
 * Delivers to an endpoint in NATS mode: the bytes go to its inbox subject on the INBOX stream, with dedup
 * id = hub id, so a repeat inside the duplicate window is stored once. Trouble with the hub's own broker is
 * never the endpoint's fault (it does not count towards the endpoint's circuit).
 *
 * A message larger than one NATS message can hold beside the headers (`inlineMessageLimit`, the one size limit)
 * goes as consecutive parts on the same subject (docs/decisions/0062): `Carehub-Chunk: <n>/<count>`, dedup id
 * `<hub id>:<n>/<count>`, each with every contract header. The endpoint's own subject carries them, so its NATS
 * permissions are those of any delivery; `@carehub/client` joins the parts before the application sees the message.
 * A retry publishes every part again (the stream drops the ones it has).
 */
export async function deliverToInbox(
  bus: Bus,
  subject: string,
  message: DeliveryMessage,
  partBytes: number = inlineMessageLimit(serverMaxPayload(bus.nc)),
): Promise<DeliveryOutcome> {
  const parts = inboxParts(message.body, partBytes);
  try {
    for (const [index, part] of parts.entries()) {
      const chunk = parts.length === 1 ? undefined : `${index + 1}/${parts.length}`;
      await bus.publish(subject, part, {
        msgId: chunk === undefined ? deliveryId(message) : `${deliveryId(message)}:${chunk}`,
        contentType: message.contentType,
        expectStream: bus.topology.streams.inbox,
        headers: {
          "Carehub-Hub-Id": message.hubId,
          "Carehub-Message-Id": message.messageId,
          "Carehub-Kind": message.kind,
          "Carehub-Source-Endpoint": message.sourceEndpoint,
          "Carehub-Attempt": String(message.attempt),
          ...(message.resend === undefined ? {} : { "Carehub-Resend": String(message.resend) }),
          ...(chunk === undefined ? {} : { [HEADER.chunk]: chunk }),
        },
      });
    }
    return { ok: true };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      retryable: !(error instanceof BusPublishRejectedError),
      endpointFault: false,
      code: DISPATCH_ERROR_CODES.inboxPublish,
      message: `publish to the endpoint's inbox failed: ${reason}`,
    };
  }
}

/** The body in parts of at most `partBytes` (one part, possibly empty, when it fits). */
export function inboxParts(body: Uint8Array, partBytes: number): Uint8Array[] {
  if (body.byteLength <= partBytes) return [body];
  const parts: Uint8Array[] = [];
  for (let offset = 0; offset < body.byteLength; offset += partBytes) {
    parts.push(body.subarray(offset, Math.min(offset + partBytes, body.byteLength)));
  }
  return parts;
}
