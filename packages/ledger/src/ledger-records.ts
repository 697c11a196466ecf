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

/**
 * The stored form of a first copy under `messageId(endpoint, messageId)`. When it names the hub id that key
 * derives (`derivedHubId`: every first copy the gateway and intake record) and its INGRESS position, it is that
 * position alone, in decimal — Redis keeps a small integer without a string of its own, 80 B less per message
 * than the JSON (docs/decisions/0082-compact-ledger-values.md). Anything else is JSON `{hubId, seq?}`.
 */
export function encodeFirstCopy(copy: FirstCopy, derivedHubId: string | undefined): string {
  if (copy.seq !== undefined && copy.hubId === derivedHubId) return String(copy.seq);
  return JSON.stringify(copy);
}

const POSITION = /^[1-9][0-9]{0,15}$/;

/**
 * Reads a first-copy record: its position alone (0082; the hub id is the one its key derives, `derivedHubId`,
 * which every reader of a `messageId` key must pass — without it such a record reads as none), JSON, or the bare
 * hub id of an older release (its stored position unknown). A reader of another key holding a bare hub id (the
 * router's lab-sample marker) passes undefined. Read on every message (intake's claim gets the gateway's record
 * back), so the JSON is checked by hand to what `firstCopySchema` says rather than through zod (1.2 % of the
 * hub's CPU profile, docs/performance.md); `ledger-records.test.ts` holds the two to the same answers.
 */
export function parseFirstCopy(
  text: string | null | undefined,
  derivedHubId: string | undefined,
): FirstCopy | undefined {
  if (text === null || text === undefined || text === "") return undefined;
  if (POSITION.test(text)) return derivedHubId === undefined ? undefined : { hubId: derivedHubId, seq: Number(text) };
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

/** What a delivered marker keeps (field `deliveredField` of `markers`): enough to publish `delivered` again. */
export interface DeliveryRecord {
  attempt: number;
  durationMs: number;
  /** ISO time of the delivery (ms precision). */
  at: string;
  /** The OUTBOX sequence of the copy delivered: what an operator's re-send copies (absent in older records). */
  copy?: number;
}

/**
 * The stored form of a delivery record: `<attempt>,<durationMs>,<at, epoch ms>[,<copy>]` — about 25 characters
 * instead of about 75 of JSON, which keeps the marker hash 190 B smaller (docs/decisions/0082).
 */
export function encodeDeliveryRecord(record: DeliveryRecord): string {
  const parts = [record.attempt, record.durationMs, Date.parse(record.at)];
  if (record.copy !== undefined) parts.push(record.copy);
  return parts.join(",");
}

/** Reads a delivery record in either form (JSON: older releases); what cannot be read takes a neutral value. */
export function parseDeliveryRecord(raw: string): DeliveryRecord {
  if (!raw.startsWith("{")) {
    const [attempt, durationMs, at, copy] = raw.split(",").map(Number);
    return {
      attempt: Number.isSafeInteger(attempt) ? (attempt as number) : 1,
      durationMs: Number.isFinite(durationMs) ? (durationMs as number) : 0,
      at: new Date(Number.isFinite(at) ? (at as number) : 0).toISOString(),
      ...(Number.isSafeInteger(copy) ? { copy: copy as number } : {}),
    };
  }
  try {
    const value = JSON.parse(raw) as Partial<DeliveryRecord>;
    return {
      attempt: typeof value.attempt === "number" ? value.attempt : 1,
      durationMs: typeof value.durationMs === "number" ? value.durationMs : 0,
      at: typeof value.at === "string" ? value.at : new Date(0).toISOString(),
      ...(Number.isSafeInteger(value.copy) ? { copy: value.copy as number } : {}),
    };
  } catch {
    return { attempt: 1, durationMs: 0, at: new Date(0).toISOString() };
  }
}
