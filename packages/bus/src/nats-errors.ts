import { JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";

const NOT_FOUND_CODES = {
  message: JetStreamApiCodes.NoMessageFound,
  stream: JetStreamApiCodes.StreamNotFound,
  consumer: JetStreamApiCodes.ConsumerNotFound,
} as const;

/** What JetStream may say does not exist. */
export type JetStreamMissing = keyof typeof NOT_FOUND_CODES;

/**
 * Whether `error` is JetStream answering that the message, stream or consumer does not exist. Decided by
 * the API error code, never by the error's text (which the client and the server are free to reword), so
 * services ask this rather than match messages.
 */
export function isJetStreamNotFound(error: unknown, what: JetStreamMissing): boolean {
  return error instanceof JetStreamApiError && error.code === NOT_FOUND_CODES[what];
}
