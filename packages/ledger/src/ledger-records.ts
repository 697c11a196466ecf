import { z } from "zod";

/**
 * An acknowledgement kept so that it can be sent again when its message arrives again: `<ns>:ack:<hubId>`
 * for one the hub made itself, `<ns>:ackmsg:<hubId>` for a receiver's acknowledgement relayed by the router.
 * contentType and base64 are required; the rest labels a resend.
 */
export const storedAcknowledgementSchema = z.object({
  contentType: z.string(),
  base64: z.string(),
  hubId: z.string().optional(),
  messageId: z.string().optional(),
  /** Registry id of the endpoint that made it, or the hub's own id. */
  sourceEndpoint: z.string().optional(),
});

export type StoredAcknowledgement = z.infer<typeof storedAcknowledgementSchema>;

export function parseStoredAcknowledgement(text: string | null | undefined): StoredAcknowledgement | undefined {
  if (text === null || text === undefined) return undefined;
  try {
    const parsed = storedAcknowledgementSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The first copy of a sender's message: its hub id and, when known, where INGRESS stored it. */
export const firstCopySchema = z.object({ hubId: z.string().min(1), seq: z.number().int().positive().optional() });

export type FirstCopy = z.infer<typeof firstCopySchema>;

export function encodeFirstCopy(copy: FirstCopy): string {
  return JSON.stringify(copy);
}

/** Reads a first-copy record; an older record is the bare hub id (its stored position unknown). */
export function parseFirstCopy(text: string | null | undefined): FirstCopy | undefined {
  if (text === null || text === undefined || text === "") return undefined;
  if (!text.startsWith("{")) return { hubId: text };
  try {
    const parsed = firstCopySchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
