import { deflateRawSync, inflateRawSync } from "node:zlib";
import { z } from "zod";
import { ACKNOWLEDGEMENT_DICTIONARY_1 } from "./acknowledgement-dictionary.ts";

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

/**
 * As kept in Redis: the bytes deflated with dictionary 1 (`d1`, base64); in records written before, deflated alone
 * (`deflated`) or as they were (`base64`) — read for as long as such a record lives (`retentionDays`).
 */
const keptAcknowledgementSchema = storedAcknowledgementSchema
  .extend({ base64: z.string().optional(), deflated: z.string().optional(), d1: z.string().optional() })
  .refine((kept) => kept.base64 !== undefined || kept.deflated !== undefined || kept.d1 !== undefined);

/**
 * The largest acknowledgement kept for a repeat, in bytes (1 MiB; docs/operations.md "Large messages"): a larger one is
 * not kept (its message's repeats go unanswered), and no kept record inflates to more, so a record Redis holds cannot
 * make the gateway's admit or intake's claim inflate megabytes on every repeat (a 20 MB acknowledgement of one
 * repeated byte deflates to ~20 KB). A MedCom acknowledgement is a few KB.
 */
export const KEPT_ACKNOWLEDGEMENT_MAX_BYTES = 1024 * 1024;

/**
 * The form an acknowledgement is kept in: its bytes deflated against a preset dictionary of what acknowledgements
 * share (`acknowledgement-dictionary.ts`). It is read back only when a message arrives again (rare), but kept for
 * the whole retention, and an acknowledgement is verbose XML or FHIR JSON that differs from the next mostly in ids,
 * times and parties: a 3.4 KB FHIR acknowledgement keeps 353 B deflated (472 as base64) instead of 957 B
 * deflated alone, and 4.5 KB as base64 before that (docs/decisions/0130).
 * Undefined, when it is larger than KEPT_ACKNOWLEDGEMENT_MAX_BYTES: not to be kept (the caller says so).
 */
export function encodeStoredAcknowledgement(ack: StoredAcknowledgement): string | undefined {
  const { base64, ...labels } = ack;
  const bytes = Buffer.from(base64, "base64");
  if (bytes.length > KEPT_ACKNOWLEDGEMENT_MAX_BYTES) return undefined;
  const d1 = deflateRawSync(bytes, {
    level: 6,
    dictionary: ACKNOWLEDGEMENT_DICTIONARY_1,
  }).toString("base64");
  return JSON.stringify({ ...labels, d1 });
}

/** A kept record's bytes (base64): `d1` and `deflated` inflated — the dictionary only for `d1` — never past the ceiling. */
function inflated(kept: { base64?: string; deflated?: string; d1?: string }): string | undefined {
  const deflated = kept.d1 ?? kept.deflated;
  if (deflated === undefined) return kept.base64;
  return inflateRawSync(Buffer.from(deflated, "base64"), {
    maxOutputLength: KEPT_ACKNOWLEDGEMENT_MAX_BYTES,
    ...(kept.d1 === undefined ? {} : { dictionary: ACKNOWLEDGEMENT_DICTIONARY_1 }),
  }).toString("base64");
}

export function parseStoredAcknowledgement(text: string | null | undefined): StoredAcknowledgement | undefined {
  if (text === null || text === undefined) return undefined;
  try {
    const parsed = keptAcknowledgementSchema.safeParse(JSON.parse(text));
    if (!parsed.success) return undefined;
    const { deflated, base64, d1, ...labels } = parsed.data;
    const bytes = inflated({ deflated, base64, d1 });
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
