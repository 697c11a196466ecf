import { deflateRawSync, inflateRawSync } from "node:zlib";
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

/** As kept in Redis: the bytes deflated (`deflated`, base64), or, in records written before, as they were (`base64`). */
const keptAcknowledgementSchema = storedAcknowledgementSchema
  .extend({ base64: z.string().optional(), deflated: z.string().optional() })
  .refine((kept) => kept.base64 !== undefined || kept.deflated !== undefined);

/**
 * The form an acknowledgement is kept in: its bytes deflated. It is read back only when a message arrives
 * again (rare), but kept for the whole retention, and an acknowledgement is verbose XML or FHIR JSON: a 2.9 KB
 * FHIR acknowledgement takes about 1.1 KB instead of 3.9 KB as base64 (bench/results, docs/performance.md).
 */
export function encodeStoredAcknowledgement(ack: StoredAcknowledgement): string {
  const { base64, ...labels } = ack;
  const deflated = deflateRawSync(Buffer.from(base64, "base64"), { level: 6 }).toString("base64");
  return JSON.stringify({ ...labels, deflated });
}

export function parseStoredAcknowledgement(text: string | null | undefined): StoredAcknowledgement | undefined {
  if (text === null || text === undefined) return undefined;
  try {
    const parsed = keptAcknowledgementSchema.safeParse(JSON.parse(text));
    if (!parsed.success) return undefined;
    const { deflated, base64, ...labels } = parsed.data;
    const bytes = deflated === undefined ? base64 : inflateRawSync(Buffer.from(deflated, "base64")).toString("base64");
    return bytes === undefined ? undefined : { ...labels, base64: bytes };
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

/**
 * Reads a first-copy record; an older record is the bare hub id (its stored position unknown). Read on every
 * message (intake's claim gets the gateway's record back), so checked by hand to what `firstCopySchema` says
 * rather than through zod (1.2 % of the hub's CPU profile, docs/performance.md); `ledger-records.test.ts`
 * holds the two to the same answers.
 */
export function parseFirstCopy(text: string | null | undefined): FirstCopy | undefined {
  if (text === null || text === undefined || text === "") return undefined;
  if (!text.startsWith("{")) return { hubId: text };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const { hubId, seq } = value as { hubId?: unknown; seq?: unknown };
  if (typeof hubId !== "string" || hubId === "") return undefined;
  if (seq === undefined) return { hubId };
  return typeof seq === "number" && Number.isSafeInteger(seq) && seq > 0 ? { hubId, seq } : undefined;
}
