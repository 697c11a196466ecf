import { profileForKind } from "../message-profiles.ts";
import { buildMessage } from "./common.ts";
import type { BuiltMessage, MessageInput } from "./types.ts";

/** A MedCom empty-message: MessageHeader, organizations and Provenance, no content. */
export function buildEmptyMessage(input: MessageInput): BuiltMessage {
  return buildMessage(input, profileForKind("empty"), { extra: [] });
}
