import type { Bus, InboundMessage } from "@carehub/bus";
import { parseMessage } from "@carehub/formats";
import type { Logger } from "@carehub/observability";
import type { RegistrySource } from "@carehub/registry";
import type { CarehubError } from "@carehub/schemas";
import type { Redis } from "ioredis";
import { type IngressMessage, rawIngress, readIngressMessage } from "./ingress-message.ts";
import { deadLetteredEvent } from "./intake-events.ts";
import { createIntakeHandler, type ParseFunction } from "./intake-handler.ts";

export interface IntakeDeps {
  bus: Bus;
  redis: Redis;
  registry: RegistrySource;
  /** How long message-id and acknowledgement keys are kept, in days (HubConfig.retentionDays). */
  retentionDays: number;
  logger?: Logger;
  /** Default: parseMessage from @carehub/formats. */
  parse?: ParseFunction;
  clock?: () => Date;
  /**
   * Messages handled at once (default 1: PIPELINE then keeps INGRESS order, so a correction never overtakes
   * its original on the way to the router). Raise it to catch up a backlog faster.
   */
  concurrency?: number;
}

export interface RunningIntake {
  /** Stops pulling; messages in hand finish first. Does not close the bus or Redis. */
  stop(): Promise<void>;
}

/** Starts the durable consumer `intake` on INGRESS. Run more copies of the process to scale out. */
export async function startIntake(deps: IntakeDeps): Promise<RunningIntake> {
  const { bus } = deps;
  const clock = deps.clock ?? (() => new Date());
  const handler = createIntakeHandler({
    bus,
    redis: deps.redis,
    registry: deps.registry,
    parse: deps.parse ?? parseMessage,
    retentionDays: deps.retentionDays,
    clock,
    ...(deps.logger === undefined ? {} : { logger: deps.logger }),
  });
  const consumer = await bus.consume({
    stream: bus.topology.streams.ingress,
    durable: "intake",
    filterSubject: bus.topology.subjects.all.ingress,
    stage: "intake",
    concurrency: deps.concurrency ?? 1,
    handler,
    onDeadLetter: async (message: InboundMessage, error: CarehubError) => {
      const ingress = ingressOrUndefined(message, bus, clock());
      if (ingress === undefined) return;
      const event = deadLetteredEvent(
        { ingress },
        { code: error.code, message: error.message },
        message.deliveryCount,
        clock(),
      );
      await bus.publishEvent(event);
    },
  });
  deps.logger?.info({ stream: bus.topology.streams.ingress }, "intake consuming");
  return { stop: () => consumer.stop() };
}

function ingressOrUndefined(message: InboundMessage, bus: Bus, now: Date): IngressMessage | undefined {
  try {
    return readIngressMessage(rawIngress(message, now), `${bus.topology.namespace}.ingress.`);
  } catch {
    return undefined;
  }
}
