import type { AcknowledgementCode, MessageLifecycle } from "@carehub/schemas";
import { type Clock, systemClock, type TimerHandle } from "./clock.ts";
import { AcknowledgementMissingError } from "./errors.ts";
import type { CarehubClient, SendResult } from "./hub-client.ts";
import { formatOfContentType, newEnvelopeId, type ResendFormat, type Restamp, restampMessage } from "./restamp.ts";

/** MedCom: resend after 30 minutes without an acknowledgement, at most twice. */
export const DEFAULT_ACK_TIMEOUT_MS = 30 * 60_000;
export const DEFAULT_MAX_RESENDS = 2;

export type SentState = "awaiting-ack" | "acknowledged" | "negatively-acknowledged" | "failed";

export interface SentStatus {
  messageId: string;
  /** The hub id of the first transmission (the hub answers repeats with the first copy's id). */
  hubId: string;
  state: SentState;
  /** The acknowledgement code, once one arrived. */
  code?: AcknowledgementCode;
  /** How many times the message went out: 1 + resends. */
  transmissions: number;
}

export interface SentMessage {
  messageId: string;
  hubId: string;
  body: string | Uint8Array;
  contentType: string;
}

export interface OutboxOptions {
  client: Pick<CarehubClient, "send" | "getMessage">;
  clock?: Clock;
  ackTimeoutMs?: number;
  maxResends?: number;
  /** Called once when a message is given up on: no acknowledgement after every resend. */
  onGiveUp?: (status: SentStatus, error: AcknowledgementMissingError) => void;
  /** Called once when a tracked message is acknowledged (ok or negatively). */
  onAcknowledged?: (status: SentStatus) => void;
  /** Called after each resend went out. */
  onResent?: (status: SentStatus, result: SendResult) => void;
  /** Called when a resend could not be handed to the hub; it counts as a transmission all the same. */
  onResendError?: (status: SentStatus, error: unknown) => void;
  /** Envelope id for a resend; defaults to a random UUID (FHIR) or a 14-character id (OIOXML). */
  newEnvelopeId?: (format: ResendFormat) => string;
  /** How to re-stamp a message for a resend; defaults to restampMessage. */
  restamp?: (body: string | Uint8Array, contentType: string, stamp: Restamp) => string | Uint8Array;
  /** How many settled messages to remember for status(). Default 10,000. */
  rememberSettled?: number;
}

export interface OutboxSendOptions {
  contentType: string;
  /** Track it for an acknowledgement; default true. Pass false for acknowledgements themselves. */
  expectAcknowledgement?: boolean;
}

export interface Outbox {
  /** Sends through the hub and, unless told otherwise, waits for its acknowledgement per the policy. */
  send(body: string | Uint8Array, options: OutboxSendOptions): Promise<SendResult>;
  /** Starts the acknowledgement clock for a message sent some other way. */
  trackSent(sent: SentMessage): void;
  /** Records an acknowledgement for a message this outbox sent; false when the message is not tracked. */
  acknowledged(messageId: string, code: AcknowledgementCode): boolean;
  /** The local status of a message, or undefined when this outbox never sent it. */
  tracked(messageId: string): SentStatus | undefined;
  /** The local status plus the hub's record of the message (query API). */
  status(messageId: string): Promise<(SentStatus & { hub: MessageLifecycle | undefined }) | undefined>;
  /** Message ids still waiting for an acknowledgement. */
  pending(): string[];
  /** Stops every timer; nothing is resent after this. */
  close(): void;
}

interface Entry extends SentMessage {
  state: SentState;
  code?: AcknowledgementCode;
  transmissions: number;
  timer?: TimerHandle;
}

export function createOutbox(options: OutboxOptions): Outbox {
  const clock = options.clock ?? systemClock;
  const ackTimeoutMs = options.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS;
  const maxResends = options.maxResends ?? DEFAULT_MAX_RESENDS;
  const makeEnvelopeId = options.newEnvelopeId ?? newEnvelopeId;
  const restamp = options.restamp ?? restampMessage;
  const rememberSettled = options.rememberSettled ?? 10_000;
  const entries = new Map<string, Entry>();
  const settled: string[] = [];
  // An acknowledgement can overtake the HTTP answer to the send it acknowledges.
  const earlyAcks = new Map<string, AcknowledgementCode>();
  let closed = false;

  const snapshot = (entry: Entry): SentStatus => ({
    messageId: entry.messageId,
    hubId: entry.hubId,
    state: entry.state,
    ...(entry.code === undefined ? {} : { code: entry.code }),
    transmissions: entry.transmissions,
  });

  function settle(entry: Entry, state: SentState) {
    entry.state = state;
    if (entry.timer !== undefined) clock.clearTimer(entry.timer);
    entry.timer = undefined;
    // The body is no longer needed once settled; keep the small status record only.
    entry.body = "";
    settled.push(entry.messageId);
    while (settled.length > rememberSettled) {
      const oldest = settled.shift();
      if (oldest !== undefined && entries.get(oldest)?.state !== "awaiting-ack") entries.delete(oldest);
    }
  }

  function schedule(entry: Entry) {
    if (closed) return;
    entry.timer = clock.setTimer(() => onTimeout(entry), ackTimeoutMs);
  }

  function onTimeout(entry: Entry) {
    entry.timer = undefined;
    if (entry.state !== "awaiting-ack" || closed) return;
    if (entry.transmissions > maxResends) {
      settle(entry, "failed");
      options.onGiveUp?.(snapshot(entry), new AcknowledgementMissingError(entry.messageId, entry.transmissions));
      return;
    }
    entry.transmissions += 1;
    // The next timeout runs from this resend, whether or not the hub took it.
    schedule(entry);
    resend(entry).catch((error: unknown) => options.onResendError?.(snapshot(entry), error));
  }

  async function resend(entry: Entry) {
    const format = formatOfContentType(entry.contentType) ?? "fhir+json";
    const body = restamp(entry.body, entry.contentType, {
      envelopeId: makeEnvelopeId(format),
      sentAt: new Date(clock.now()),
    });
    const result = await options.client.send(body, { contentType: entry.contentType });
    options.onResent?.(snapshot(entry), result);
  }

  function trackSent(sent: SentMessage) {
    if (entries.get(sent.messageId)?.state === "awaiting-ack") return;
    const entry: Entry = { ...sent, state: "awaiting-ack", transmissions: 1 };
    entries.set(sent.messageId, entry);
    const early = earlyAcks.get(sent.messageId);
    if (early !== undefined) {
      earlyAcks.delete(sent.messageId);
      acknowledge(entry, early);
      return;
    }
    schedule(entry);
  }

  function acknowledge(entry: Entry, code: AcknowledgementCode) {
    entry.code = code;
    settle(entry, code === "ok" ? "acknowledged" : "negatively-acknowledged");
    options.onAcknowledged?.(snapshot(entry));
  }

  return {
    async send(body, sendOptions) {
      const result = await options.client.send(body, { contentType: sendOptions.contentType });
      // Without a message id there is nothing an acknowledgement could be matched to.
      if (sendOptions.expectAcknowledgement !== false && !result.duplicate && result.messageId !== undefined) {
        trackSent({ messageId: result.messageId, hubId: result.id, body, contentType: sendOptions.contentType });
      }
      return result;
    },
    trackSent,
    acknowledged(messageId, code) {
      const entry = entries.get(messageId);
      if (entry === undefined) {
        earlyAcks.set(messageId, code);
        if (earlyAcks.size > 1_000) {
          const oldest = earlyAcks.keys().next();
          if (oldest.done !== true) earlyAcks.delete(oldest.value);
        }
        return false;
      }
      if (entry.state !== "awaiting-ack") return false;
      acknowledge(entry, code);
      return true;
    },
    tracked(messageId) {
      const entry = entries.get(messageId);
      return entry === undefined ? undefined : snapshot(entry);
    },
    async status(messageId) {
      const entry = entries.get(messageId);
      if (entry === undefined) return undefined;
      const hub = await options.client.getMessage(entry.hubId);
      return { ...snapshot(entry), hub };
    },
    pending: () => [...entries.values()].filter((e) => e.state === "awaiting-ack").map((e) => e.messageId),
    close() {
      closed = true;
      for (const entry of entries.values()) {
        if (entry.timer !== undefined) clock.clearTimer(entry.timer);
        entry.timer = undefined;
      }
    },
  };
}
