import { z } from "zod";
import { MessageStatus } from "./api.ts";
import { MessageKind } from "./kinds.ts";
import { EndpointId } from "./registry.ts";

/**
 * A recording of INGRESS traffic (`carehub record`, replayed by `carehub replay`): a JSON Lines file whose first
 * line is a RecordingHeader and every further line one RecordedMessage, oldest first (docs/contracts.md
 * "Recordings"). Portable: nothing in it depends on the hub it came from except `originalHubId`, kept to trace
 * a line back to the record it was captured with.
 */
export const RECORDING_FORMAT = "carehub-recording";
/** Raised when a line changes meaning; a reader refuses a version it does not know. */
export const RECORDING_FORMAT_VERSION = 1;

export const RecordingHeader = z.object({
  format: z.literal(RECORDING_FORMAT),
  formatVersion: z.literal(RECORDING_FORMAT_VERSION),
  /** When the capture began (ISO-8601, UTC). */
  recordedAt: z.iso.datetime(),
  /** What was asked for: the capture's selection, as given. */
  selection: z.object({
    from: z.iso.datetime().optional(),
    to: z.iso.datetime().optional(),
    endpoint: EndpointId.optional(),
    kind: MessageKind.optional(),
  }),
  /** True when CPR numbers, names, addresses and free text were replaced (`--anonymise`). */
  anonymised: z.boolean(),
});
export type RecordingHeader = z.infer<typeof RecordingHeader>;

/** How the original hub ended with a message: its overall status and the status towards each receiver. */
export const RecordedOutcome = z.object({
  status: MessageStatus,
  receivers: z.record(z.string(), MessageStatus),
});
export type RecordedOutcome = z.infer<typeof RecordedOutcome>;

export const RecordedMessage = z.object({
  /** Position on the original INGRESS stream (orders the recording; gaps are messages not selected). */
  seq: z.number().int().positive(),
  /** Registry id of the sending endpoint: the INGRESS subject's, never a header's. */
  sender: EndpointId,
  /** When the hub received it (the gateway's receive time, else when INGRESS stored it). */
  receivedAt: z.iso.datetime(),
  /** When INGRESS stored it. */
  storedAt: z.iso.datetime(),
  /** The headers stored with it, as stored (first value of each). */
  headers: z.record(z.string(), z.string()),
  /** The message byte for byte, base64. */
  bytes: z.base64(),
  /** The kind and the sender's message id, read from the message's header (absent when unreadable). */
  kind: MessageKind.optional(),
  messageId: z.string().optional(),
  /** The original hub's id for it (that hub's namespace: a replay gets other ids). */
  originalHubId: z.string(),
  /** Absent when the original hub had no record of it when the recording was made. */
  outcome: RecordedOutcome.optional(),
});
export type RecordedMessage = z.infer<typeof RecordedMessage>;
