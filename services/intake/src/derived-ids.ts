import { derivedUuid } from "@carehub/acknowledgements";

/** Hub id of a message an endpoint published straight onto NATS (no gateway gave it one): from the stream position. */
export function hubIdFromStreamPosition(stream: string, seq: number): string {
  return derivedUuid("ingress", stream, String(seq));
}
