import { type Bus, isJetStreamNotFound } from "@carehub/bus";
import { type EndpointRegistry, endpointInboxDurable } from "@carehub/registry";
import { AckPolicy } from "@nats-io/jetstream";

export interface InboxConsumersReport {
  /** Durables made now. */
  created: string[];
  /** Durables that were already there as pull consumers on the endpoint's own inbox (left as they are). */
  present: string[];
  /** Durables that exist in a form the endpoint must not have (push, or another filter): fix by hand. */
  problems: string[];
}

/**
 * Makes each NATS-delivery endpoint's inbox durable (`sdk-<id>`, filtered to its own inbox) as a PULL
 * consumer, as the hub. An endpoint's credentials let it create that durable itself, but not choose that it be
 * a pull consumer; once the hub made it, nats-server refuses to turn it into a push consumer that would
 * deliver to a subject of the endpoint's choosing (docs/decisions/0009, "Residual risk"). Idempotent.
 */
export async function ensureInboxConsumers(bus: Bus, registry: EndpointRegistry): Promise<InboxConsumersReport> {
  const report: InboxConsumersReport = { created: [], present: [], problems: [] };
  const stream = bus.topology.streams.inbox;
  for (const endpoint of registry.endpoints()) {
    if (endpoint.auth.natsNkey === undefined || endpoint.delivery.mode !== "nats") continue;
    const durable = endpointInboxDurable(endpoint.id);
    const filter = bus.topology.subjects.inbox(endpoint.id);
    const existing = await bus.jsm.consumers.info(stream, durable).catch((error: unknown) => {
      if (isJetStreamNotFound(error, "consumer")) return undefined;
      throw error;
    });
    if (existing === undefined) {
      await bus.jsm.consumers.add(stream, {
        durable_name: durable,
        filter_subject: filter,
        ack_policy: AckPolicy.Explicit,
      });
      report.created.push(durable);
    } else if (existing.config.deliver_subject !== undefined && existing.config.deliver_subject !== "") {
      report.problems.push(
        `${stream} > ${durable} is a push consumer (delivering to ${existing.config.deliver_subject}): ` +
          "delete it and run again, so that the hub makes it a pull consumer",
      );
    } else if (existing.config.filter_subject !== filter) {
      report.problems.push(
        `${stream} > ${durable} filters ${existing.config.filter_subject ?? "everything"}, not ${filter}`,
      );
    } else {
      report.present.push(durable);
    }
  }
  return report;
}
