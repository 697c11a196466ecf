import { randomUUID } from "node:crypto";
import type {
  AcknowledgementCode,
  MessageKind,
  ParsedMessage,
  ParseResult,
  Party,
  ValidationIssue,
  WireFormat,
} from "@carehub/schemas";
import { isRetryable, UnreadableDeliveryError } from "./errors.ts";
import type { CarehubClient } from "./hub-client.ts";
import { buildMedcomAcknowledgement, parseDeliveredMessage } from "./medcom-acknowledgement.ts";
import { newEnvelopeId } from "./restamp.ts";
import { type AckIssue, createMemorySeenStore, type SeenRecord, type SeenStore, seenKey } from "./seen-store.ts";

/** A message as the hub delivered it (webhook body + headers, or a NATS inbox message). */
export interface Delivery {
  body: Uint8Array;
  contentType: string | undefined;
  /** Carehub-Hub-Id */
  hubId?: string;
  /** Carehub-Message-Id */
  messageId?: string;
  /** Carehub-Kind */
  kind?: string;
  /** Carehub-Source-Endpoint */
  sourceEndpoint?: string;
  /** Carehub-Attempt */
  attempt?: number;
}

export interface ReceivedMessage {
  message: ParsedMessage;
  /** Problems that did not make the message invalid. */
  warnings: ValidationIssue[];
  body: Uint8Array;
  contentType: string;
  hubId: string | undefined;
  sourceEndpoint: string | undefined;
}

/** What a receiver answers about a message: the acknowledgement it sends back. */
export type AckDecision = AcknowledgementCode | { code: AcknowledgementCode; issues?: AckIssue[] };

export interface ReceivedAcknowledgement {
  /** The message id of the message acknowledged. */
  respondsTo: string;
  code: AcknowledgementCode;
  message: ParsedMessage;
}

/** Everything a builder needs to make one acknowledgement (FHIR Acknowledgement or OIOXML receipt). */
export interface AcknowledgementInput {
  original: {
    kind: MessageKind | undefined;
    format: WireFormat;
    standard: string | undefined;
    standardVersion: string | undefined;
    messageId: string;
    envelopeId: string | undefined;
    sender: Party;
    receivers: Party[];
  };
  /** The party that acknowledges: this endpoint. */
  acknowledger: Party;
  code: AcknowledgementCode;
  issues: AckIssue[];
  /** The acknowledgement's own message id: the same for every resend of the same acknowledgement. */
  ackMessageId: string;
  /** New for every transmission. */
  envelopeId: string;
  sentAt: Date;
}

export interface BuiltAcknowledgement {
  body: string | Uint8Array;
  contentType: string;
}

export type AcknowledgementBuilder = (input: AcknowledgementInput) => BuiltAcknowledgement;
export type MessageParser = (body: Uint8Array, contentType: string | undefined) => ParseResult;

export interface ReceiverOptions {
  /** Acknowledgements are sent through this client. */
  client: Pick<CarehubClient, "send">;
  /** Handles each new message once; returns the acknowledgement to send (default ok). */
  // biome-ignore lint/suspicious/noConfusingVoidType: a handler that returns nothing means "ok".
  onMessage?: (received: ReceivedMessage) => AckDecision | void | Promise<AckDecision | void>;
  /** Each acknowledgement (or OIOXML receipt) received for a message this endpoint sent, once. */
  onAcknowledgement?: (ack: ReceivedAcknowledgement) => void | Promise<void>;
  /** A copy of a message already handled: it was acknowledged again, the same way. */
  onDuplicate?: (received: ReceivedMessage, first: SeenRecord) => void;
  /** A message that failed validation here: it was answered with a fatal-error acknowledgement. */
  onInvalid?: (issues: ValidationIssue[], delivery: Delivery) => void;
  seenStore?: SeenStore;
  /** Who this endpoint is, as the sender of its acknowledgements; defaults to the message's primary receiver. */
  identity?: Party;
  /** Defaults to carehub's MedCom parsers (@carehub/formats). */
  parse?: MessageParser;
  /** Defaults to MedCom FHIR Acknowledgements and OIOXML XCTL02/XCTL03 receipts. */
  buildAcknowledgement?: AcknowledgementBuilder;
  /** Ids for acknowledgement messages; defaults to random UUIDs. */
  newMessageId?: () => string;
  newEnvelopeId?: (format: WireFormat) => string;
  now?: () => Date;
}

export type ReceiveOutcome =
  | { outcome: "accepted"; messageId: string; code: AcknowledgementCode; acknowledged: boolean }
  | { outcome: "duplicate"; messageId: string; code: AcknowledgementCode; acknowledged: boolean }
  | { outcome: "invalid"; messageId: string; code: "fatal-error"; acknowledged: boolean }
  | { outcome: "acknowledgement"; messageId: string; respondsTo: string; duplicate: boolean };

export interface Receiver {
  /**
   * Handles one delivery. Resolves once the message is handled and its acknowledgement is on the hub;
   * rejects with a retryable error when the acknowledgement could not be sent (deliver it again: the copy
   * is recognised and the same acknowledgement is sent), or an UnreadableDeliveryError when the bytes
   * name no message id or sender to answer.
   */
  receive(delivery: Delivery): Promise<ReceiveOutcome>;
}

/** What the receiver reads of a message: what an acknowledgement names of it, and whether one is asked for. */
type Readable = AcknowledgementInput["original"] & { ackRequested: boolean };

export function createReceiver(options: ReceiverOptions): Receiver {
  const seen = options.seenStore ?? createMemorySeenStore();
  const parse = options.parse ?? parseDeliveredMessage;
  const buildAcknowledgement = options.buildAcknowledgement ?? buildMedcomAcknowledgement;
  const newMessageId = options.newMessageId ?? randomUUID;
  const makeEnvelopeId = options.newEnvelopeId ?? ((format: WireFormat) => newEnvelopeId(format));
  const now = options.now ?? (() => new Date());
  // Copies of one message arriving together are handled one after the other, so only the first decides.
  const inFlight = new Map<string, Promise<unknown>>();

  async function serialised<T>(key: string, work: () => Promise<T>): Promise<T> {
    const before = inFlight.get(key);
    const run = (before ?? Promise.resolve()).then(work, work);
    const settledRun = run.catch(() => undefined);
    inFlight.set(key, settledRun);
    try {
      return await run;
    } finally {
      if (inFlight.get(key) === settledRun) inFlight.delete(key);
    }
  }

  async function sendAck(message: Readable, record: SeenRecord): Promise<void> {
    const acknowledger = options.identity ?? message.receivers[0];
    if (acknowledger === undefined) throw new UnreadableDeliveryError("the message names no receiver");
    const built = buildAcknowledgement({
      original: {
        kind: message.kind,
        format: message.format,
        standard: message.standard,
        standardVersion: message.standardVersion,
        messageId: message.messageId,
        envelopeId: message.envelopeId,
        sender: message.sender,
        receivers: message.receivers,
      },
      acknowledger,
      code: record.code,
      issues: record.issues,
      ackMessageId: record.ackMessageId,
      envelopeId: makeEnvelopeId(message.format),
      sentAt: now(),
    });
    await options.client.send(built.body, { contentType: built.contentType });
  }

  /** MedCom: FHIR messages are always acknowledged; OIOXML positively only on request, negatively always. */
  function wantsAck(message: Readable, code: AcknowledgementCode): boolean {
    if (message.kind === "acknowledgement") return false;
    if (message.format === "oioxml") return message.ackRequested || code !== "ok";
    return true;
  }

  async function answer(
    key: string,
    message: Readable,
    decide: () => Promise<{ code: AcknowledgementCode; issues: AckIssue[] }>,
  ): Promise<{ first: boolean; record: SeenRecord }> {
    const earlier = await seen.get(key);
    if (earlier !== undefined) {
      if (earlier.ackMessageId !== "") await sendAck(message, earlier);
      return { first: false, record: earlier };
    }
    const decision = await decide();
    const record: SeenRecord = {
      ackMessageId: wantsAck(message, decision.code) ? newMessageId() : "",
      code: decision.code,
      issues: decision.issues,
      firstSeenAt: now().toISOString(),
    };
    // Remembered before the acknowledgement goes out: if sending fails, the redelivered copy is a
    // duplicate and gets this same acknowledgement, and onMessage is not run twice.
    await seen.set(key, record);
    if (record.ackMessageId !== "") await sendAck(message, record);
    return { first: true, record };
  }

  async function receiveAcknowledgement(message: ParsedMessage): Promise<ReceiveOutcome> {
    const content = message.content;
    if (content.kind !== "acknowledgement") throw new Error("unreachable: not an acknowledgement");
    const key = seenKey(partyKey(message.sender), message.messageId);
    return serialised(key, async () => {
      const duplicate = (await seen.get(key)) !== undefined;
      if (!duplicate) {
        await options.onAcknowledgement?.({ respondsTo: content.respondsTo, code: content.code, message });
        await seen.set(key, { ackMessageId: "", code: content.code, issues: [], firstSeenAt: now().toISOString() });
      }
      return { outcome: "acknowledgement", messageId: message.messageId, respondsTo: content.respondsTo, duplicate };
    });
  }

  async function receiveInvalid(delivery: Delivery, result: Extract<ParseResult, { ok: false }>) {
    const partial = result.partial;
    if (partial.kind === "acknowledgement") {
      throw new UnreadableDeliveryError(
        "an invalid acknowledgement cannot be answered (acknowledgements are never acknowledged)",
      );
    }
    const receivers = partial.receivers ?? [];
    if (partial.messageId === undefined || partial.sender === undefined || partial.format === undefined) {
      throw new UnreadableDeliveryError("the delivered message names no message id or sender to acknowledge");
    }
    const message: Readable = {
      kind: partial.kind,
      format: partial.format,
      standard: partial.standard,
      standardVersion: undefined,
      messageId: partial.messageId,
      envelopeId: partial.envelopeId,
      sender: partial.sender,
      receivers,
      ackRequested: partial.ackRequested ?? true,
    };
    const issues: AckIssue[] = result.issues.slice(0, 20).map((issue) => ({
      severity: "error",
      code: issue.medcomCode ?? "MSG_BAD_FORMAT",
      text: `${issue.path}: ${issue.message}`,
    }));
    const key = seenKey(partyKey(message.sender), message.messageId);
    return serialised(key, async () => {
      const { first, record } = await answer(key, message, async () => ({ code: "fatal-error", issues }));
      if (first) options.onInvalid?.(result.issues, delivery);
      return {
        outcome: first ? "invalid" : "duplicate",
        messageId: message.messageId,
        code: record.code,
        acknowledged: record.ackMessageId !== "",
      } as ReceiveOutcome;
    });
  }

  async function decide(received: ReceivedMessage): Promise<{ code: AcknowledgementCode; issues: AckIssue[] }> {
    try {
      const decision = await options.onMessage?.(received);
      if (decision === undefined || decision === null) return { code: "ok", issues: [] };
      if (typeof decision === "string") return { code: decision, issues: [] };
      return { code: decision.code, issues: decision.issues ?? [] };
    } catch (error) {
      return decisionForError(error);
    }
  }

  return {
    async receive(delivery) {
      const result = parse(delivery.body, delivery.contentType);
      if (!result.ok) return receiveInvalid(delivery, result);
      const message = result.message;
      if (message.kind === "acknowledgement") return receiveAcknowledgement(message);
      const received: ReceivedMessage = {
        message,
        warnings: result.warnings,
        body: delivery.body,
        contentType: delivery.contentType ?? "",
        hubId: delivery.hubId,
        sourceEndpoint: delivery.sourceEndpoint,
      };
      const readable: Readable = {
        ...message,
        standard: message.standard,
        standardVersion: message.standardVersion,
        envelopeId: message.envelopeId,
      };
      const key = seenKey(partyKey(message.sender), message.messageId);
      return serialised(key, async () => {
        const { first, record } = await answer(key, readable, () => decide(received));
        if (!first) options.onDuplicate?.(received, record);
        return {
          outcome: first ? "accepted" : "duplicate",
          messageId: message.messageId,
          code: record.code,
          acknowledged: record.ackMessageId !== "",
        };
      });
    },
  };
}

/** A thrown error becomes a negative acknowledgement: transient when retrying could help, fatal otherwise. */
export function decisionForError(error: unknown): { code: AcknowledgementCode; issues: AckIssue[] } {
  const retryable = isRetryable(error);
  const medcomCode = (error as { medcomCode?: unknown } | undefined)?.medcomCode;
  const code =
    typeof medcomCode === "string" ? medcomCode : retryable ? "MSG_Mailbox_Out_Of_Operation" : "MSG_BAD_FORMAT";
  const text = error instanceof Error ? error.message : "the receiver could not handle the message";
  return { code: retryable ? "transient-error" : "fatal-error", issues: [{ severity: "error", code, text }] };
}

/** Message ids are unique per sender; GLN is the one identifier every format carries for a MedCom party. */
function partyKey(party: Party): string {
  return party.gln !== undefined ? `gln:${party.gln}` : `sor:${party.sor ?? ""}`;
}
