import type { Bus, RedriveProgress } from "@carehub/bus";
import { HEADER } from "@carehub/bus";
import { traceIdFromHeaders } from "@carehub/observability";
import type { EventOf, MessageKind } from "@carehub/schemas";
import { MESSAGE_KINDS } from "@carehub/schemas";

export interface RedriveRequest {
  /** Only dead letters of deliveries to this endpoint (stage dispatcher). */
  endpoint?: string;
  /** Only dead letters of these messages (the console's re-run of chosen messages to one receiver). */
  hubIds?: readonly string[];
  /** The DLQ stage to re-drive, default `dispatcher`. */
  stage?: string;
  /** At most this many. */
  limit?: number;
  now?: () => Date;
  /** Told after each dead letter looked at (the CLI's progress line). */
  onProgress?: (progress: RedriveProgress) => void;
}

export interface RedriveReport {
  redriven: number;
  /** Hub ids of the re-driven messages, in DLQ order. */
  hubIds: string[];
}

const KINDS: ReadonlySet<string> = new Set(MESSAGE_KINDS);

/**
 * Puts dead letters back on the subject they died on (`carehub redrive`). A re-driven OUTBOX message is a
 * new copy: the dispatcher gives it a fresh attempt limit, still delivers it at most once (the `delivered`
 * marker), and a message that must follow it waits for it again. Each re-driven message gets a `replayed`
 * event (`originalHubId` = its own hub id, reason naming the endpoint and the redrive count), so its
 * timeline shows the dead letter, the redrive and the delivery that follows.
 */
export async function redriveDeadLetters(bus: Bus, request: RedriveRequest = {}): Promise<RedriveReport> {
  const stage = request.stage ?? "dispatcher";
  const now = request.now ?? (() => new Date());
  const outboxSubject = request.endpoint === undefined ? undefined : bus.topology.subjects.outbox(request.endpoint);
  const only = request.hubIds === undefined ? undefined : new Set(request.hubIds);
  const hubIds: string[] = [];
  const { redriven } = await bus.redrive(stage, {
    ...(request.limit === undefined ? {} : { limit: request.limit }),
    ...(request.onProgress === undefined ? {} : { onProgress: request.onProgress }),
    filter: (dead) => {
      if (outboxSubject !== undefined && dead.headers[HEADER.originalSubject] !== outboxSubject) return false;
      if (only !== undefined && !only.has(dead.headers[HEADER.hubId] ?? "")) return false;
      return true;
    },
    // The `replayed` event goes out before the message is put back, so the timeline shows the redrive before
    // the delivery it leads to (published after, a fast dispatcher's `delivered` could come first). If putting
    // it back then fails, the event stays and the same redrive tried again has the same event id.
    beforeRedrive: async (dead) => {
      const event = replayedEvent(dead.headers, stage, now());
      if (event === undefined) return;
      // No span is active here (an operator's command): the dead letter's own traceparent names the trace.
      const traceId = traceIdFromHeaders(dead.headers);
      await bus.publishEvent(traceId === undefined ? event : { ...event, traceId });
      hubIds.push(event.hubId);
    },
  });
  return { redriven, hubIds };
}

function replayedEvent(headers: Record<string, string>, stage: string, at: Date): EventOf<"replayed"> | undefined {
  const endpoint = headers["Carehub-Receiver"] ?? headers[HEADER.originalSubject]?.split(".").pop() ?? stage;
  const count = Number.parseInt(headers[HEADER.redriveCount] ?? "0", 10) + 1;
  return replayedEventOf(headers, {
    idSuffix: `${endpoint}:redrive-${count}`,
    reason: `re-driven from the ${stage} dead-letter queue to ${endpoint} (redrive ${count})`,
    at,
  });
}

/**
 * The `replayed` event linking a new copy of a message to the message itself (`originalHubId` = its own hub id),
 * from the copy's contract headers; event id `<hubId>:replayed:<idSuffix>`. Undefined without a hub id.
 */
export function replayedEventOf(
  headers: Record<string, string>,
  link: { idSuffix: string; reason: string; at: Date },
): EventOf<"replayed"> | undefined {
  const hubId = headers[HEADER.hubId];
  if (hubId === undefined || hubId === "") return undefined;
  const kind = headers[HEADER.kind];
  const messageId = headers["Carehub-Message-Id"];
  const sourceEndpoint = headers["Carehub-Source-Endpoint"];
  return {
    schemaVersion: 1,
    type: "replayed",
    eventId: `${hubId}:replayed:${link.idSuffix}`,
    at: link.at.toISOString(),
    hubId,
    originalHubId: hubId,
    reason: link.reason,
    ...(messageId === undefined ? {} : { messageId }),
    ...(sourceEndpoint === undefined ? {} : { sourceEndpoint }),
    ...(kind !== undefined && KINDS.has(kind) ? { kind: kind as MessageKind } : {}),
  };
}
