import { z } from "zod";

/** `202` answer to `POST /v1/messages`: the bytes are stored on INGRESS. */
export const MessageReceived = z.object({
  /** carehub's id for the message (use it with GET /v1/messages/:id). */
  id: z.string(),
  /** The sender's own message id (MessageHeader.id / letter id); absent when the message could not be read. */
  messageId: z.string().optional(),
  status: z.literal("received"),
});
export type MessageReceived = z.infer<typeof MessageReceived>;

/** `200` answer to a repeat of a message id the same sender sent before: nothing new was stored. */
export const MessageDuplicate = z.object({
  /** The hub id of the first copy. */
  id: z.string(),
  messageId: z.string(),
  status: z.literal("duplicate"),
  duplicate: z.literal(true),
});
export type MessageDuplicate = z.infer<typeof MessageDuplicate>;

export const HealthStatus = z.object({
  status: z.enum(["ok", "unavailable"]),
  /** Each dependency checked by /readyz. */
  checks: z.record(z.string(), z.enum(["ok", "unavailable"])).optional(),
});
export type HealthStatus = z.infer<typeof HealthStatus>;
