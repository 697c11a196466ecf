import type { Bus } from "@carehub/bus";
import { type Logger, recordStatusChange, recordStatusRefused, recordUnmatchedStatus } from "@carehub/observability";
import type { RegistrySource } from "@carehub/registry";
import type { EventOf } from "@carehub/schemas";
import type { EntityState, PendingEffect, ReadModelStore, SubjectRef } from "@carehub/store";
import {
  buildStatusReturn,
  originatorAddress,
  type StatusReturnEffect,
  statusAnnouncement,
  statusChangedEvent,
} from "./status-return.ts";

export interface EffectDeps {
  bus: Pick<Bus, "publish" | "publishJson" | "publishEvent" | "topology" | "nc">;
  store: Pick<ReadModelStore, "clearEntityEffects">;
  registry: RegistrySource;
  clock: () => Date;
  logger?: Logger;
}

/**
 * Carries out what an entity update left in its outbox, then clears it. Every publish has a deterministic
 * dedup id, so carrying out an effect twice (a crash before the clear) stores it once. A failed publish
 * throws (retryable): the message that caused it is redelivered and the effect is tried again.
 */
export async function carryOutEffects(deps: EffectDeps, state: EntityState): Promise<void> {
  if (state.pending.length === 0) return;
  const subject: SubjectRef = { type: state.type, originator: state.originator, id: state.id };
  const done: string[] = [];
  for (const effect of state.pending) {
    await carryOut(deps, subject, effect);
    done.push(effect.id);
  }
  await deps.store.clearEntityEffects(subject, done);
}

async function carryOut(deps: EffectDeps, subject: SubjectRef, effect: PendingEffect): Promise<void> {
  const { bus } = deps;
  const now = deps.clock();
  switch (effect.type) {
    case "status-changed": {
      const event = statusChangedEvent(subject, effect, now);
      const stored = await bus.publishEvent(event);
      // Counted when first stored: an effect carried out again after a crash is a JetStream duplicate.
      if (!stored.duplicate) recordStatusChange(subject.type, effect.to);
      return;
    }
    case "transition-refused": {
      const event: EventOf<"transition-refused"> = {
        schemaVersion: 1,
        type: "transition-refused",
        eventId: effect.id,
        at: now.toISOString(),
        hubId: effect.cause,
        subject,
        from: effect.from,
        to: effect.to,
        reason: effect.reason,
        ...(effect.code === undefined ? {} : { code: effect.code }),
      };
      const stored = await bus.publishEvent(event);
      if (!stored.duplicate) recordStatusRefused(subject.type);
      // Raised to operators: a refused transition means two systems disagree about a referral or task, or an
      // endpoint stated a status about one it has no part in (code CAREHUB_ERR_STATUS_NOT_A_PARTY).
      deps.logger?.warn(
        {
          subjectType: subject.type,
          subjectId: subject.id,
          originator: subject.originator,
          hubId: effect.cause,
          from: effect.from,
          to: effect.to,
          ...(effect.code === undefined ? {} : { code: effect.code }),
        },
        `transition refused: ${effect.reason}`,
      );
      return;
    }
    case "unmatched-status": {
      const event: EventOf<"unmatched-status"> = {
        schemaVersion: 1,
        type: "unmatched-status",
        eventId: effect.id,
        at: now.toISOString(),
        hubId: effect.cause,
        subject,
        status: effect.status,
        reportedBy: effect.reportedBy,
        occurredAt: new Date(effect.occurredAt).toISOString(),
      };
      const stored = await bus.publishEvent(event);
      if (!stored.duplicate) recordUnmatchedStatus(subject.type);
      deps.logger?.warn(
        {
          subjectType: subject.type,
          originator: subject.originator,
          hubId: effect.cause,
          reportedBy: effect.reportedBy,
        },
        "status about a referral, task or appointment whose creating message the hub has not seen: kept, flagged unmatched",
      );
      return;
    }
    case "status-return":
      await returnStatus(deps, subject, effect, now);
      return;
  }
}

/**
 * Sends a status change back to the endpoint that started the referral or task, twice over: announced on
 * `<ns>.status.<originator>` for systems listening on NATS, and as a status-update message through the
 * normal pipeline (INGRESS, as the hub), so that it is tracked, delivered and acknowledged like any other.
 */
async function returnStatus(
  deps: EffectDeps,
  subject: SubjectRef,
  effect: StatusReturnEffect,
  now: Date,
): Promise<void> {
  const { bus } = deps;
  const registry = deps.registry.current();
  bus.nc.publish(
    bus.topology.subjects.status(effect.originator),
    JSON.stringify(statusAnnouncement(subject, effect, now)),
  );
  const receiver = originatorAddress(effect, registry.byId(effect.originator));
  if (receiver === undefined) {
    deps.logger?.warn(
      { subjectType: subject.type, subjectId: subject.id, originator: effect.originator },
      "status return not sent as a message: the originator has no SOR id and GLN to address it by",
    );
    return;
  }
  const message = buildStatusReturn(bus.topology.namespace, subject, effect, registry.hub, receiver, now);
  await bus.publish(bus.topology.subjects.ingress(registry.hub.id), message.json, {
    msgId: message.hubId,
    contentType: "application/fhir+json",
    headers: {
      "Carehub-Hub-Id": message.hubId,
      "Carehub-Source-Endpoint": registry.hub.id,
      "Carehub-Received-At": now.toISOString(),
    },
  });
  deps.logger?.info(
    {
      subjectType: subject.type,
      subjectId: subject.id,
      originator: effect.originator,
      status: effect.status,
      hubId: message.hubId,
    },
    "status returned to originator",
  );
}
