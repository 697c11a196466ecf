import { z } from "zod";

/** AES-256 takes a key of 32 bytes. */
export const PAYLOAD_KEY_BYTES = 32;

/** A key id is written in a NATS header on every sealed message: short, one header token. */
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** One key of the payload keyring: its id (stored beside each message it seals) and 32 bytes, base64. */
export const PayloadKey = z
  .object({
    id: z.string().regex(KEY_ID),
    base64: z.string().regex(BASE64),
  })
  .strict();
export type PayloadKey = z.infer<typeof PayloadKey>;

/**
 * The keys that encrypt payloads at rest in the streams (CAREHUB_PAYLOAD_KEYS), newest first: the first seals
 * new messages, every one opens messages sealed with it. Empty: payloads are stored as they are.
 */
export const PayloadKeyring = z.array(PayloadKey).readonly();
export type PayloadKeyring = z.infer<typeof PayloadKeyring>;

/**
 * Reads `CAREHUB_PAYLOAD_KEYS`: `<id>:<32 bytes base64>` items, comma-separated, newest first, e.g.
 * `k2027:…,k2026:…`. Returns every problem found, or the keyring. A problem names the item by its position
 * and id, never the key text (configuration errors are logged).
 */
export function parsePayloadKeys(text: string): { value: PayloadKeyring } | { problems: string[] } {
  const problems: string[] = [];
  const keys: PayloadKey[] = [];
  const seen = new Set<string>();
  const items = text.split(",").map((item) => item.trim());
  items.forEach((item, index) => {
    const where = `key ${index + 1}`;
    const colon = item.indexOf(":");
    const id = colon < 0 ? "" : item.slice(0, colon).trim();
    const base64 = colon < 0 ? "" : item.slice(colon + 1).trim();
    if (colon < 0 || !KEY_ID.test(id)) {
      problems.push(`${where}: not <id>:<base64 key> with an id of 1 to 32 letters, digits, "-" or "_"`);
      return;
    }
    if (seen.has(id)) {
      problems.push(`${where}: id ${JSON.stringify(id)} is given more than once`);
      return;
    }
    seen.add(id);
    if (!BASE64.test(base64) || atob(base64).length !== PAYLOAD_KEY_BYTES) {
      problems.push(`${where} (${id}): the key is not ${PAYLOAD_KEY_BYTES} bytes in base64 (openssl rand -base64 32)`);
      return;
    }
    keys.push({ id, base64 });
  });
  return problems.length > 0 ? { problems } : { value: keys };
}
