import type { Bus } from "@carehub/bus";
import { BusPublishRejectedError } from "@carehub/bus";
import type { DeliveryOutcome } from "./delivery-outcome.ts";
import { DISPATCH_ERROR_CODES } from "./dispatch-errors.ts";
import type { DeliveryMessage } from "./http-delivery.ts";

/**
 * Delivers to an endpoint in NATS mode: the bytes go to its inbox subject on the INBOX stream, with dedup
 * id = hub id, so a repeat inside the duplicate window is stored once. Trouble with the hub's own broker is
 * never the endpoint's fault (it does not count towards the endpoint's circuit).
 */
export async function deliverToInbox(bus: Bus, subject: string, message: DeliveryMessage): Promise<DeliveryOutcome> {
  try {
    await bus.publish(subject, message.body, {
      msgId: message.hubId,
      contentType: message.contentType,
      expectStream: bus.topology.streams.inbox,
      headers: {
        "Carehub-Hub-Id": message.hubId,
        "Carehub-Message-Id": message.messageId,
        "Carehub-Kind": message.kind,
        "Carehub-Source-Endpoint": message.sourceEndpoint,
        "Carehub-Attempt": String(message.attempt),
      },
    });
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
