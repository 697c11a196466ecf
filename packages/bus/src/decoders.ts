import { HEADER, SCHEMA_VERSION } from "./headers.ts";

const decoder = new TextDecoder();

/** A `decode` for JSON bodies: `consume({ decode: jsonDecoder<Envelope>(Envelope.parse) })`. */
export function jsonDecoder<T>(validate?: (value: unknown) => T): (data: Uint8Array) => T {
  return (data) => {
    const value: unknown = JSON.parse(decoder.decode(data));
    return validate === undefined ? (value as T) : validate(value);
  };
}

/**
 * A `decode` for JSON the hub wrote itself (PIPELINE envelopes, EVENTS): validated only when the message's
 * `Carehub-Schema-Version` is not the current one — a message from an older or newer hub, or one without the
 * header. The hub's own current messages were built from the same schemas the validator checks, by code this
 * version tested, and only the hub may write those streams (NATS authorization gives endpoints their own
 * ingress subject and inbox alone: docs/architecture.md "Who may do what"), so validating them again on every
 * hop only cost CPU (docs/performance.md). A validator's throw dead-letters the message, as with jsonDecoder.
 */
export function hubJsonDecoder<T>(
  validate: (value: unknown) => T,
): (data: Uint8Array, headers: Readonly<Record<string, string>>) => T {
  return (data, headers) => {
    const value: unknown = JSON.parse(decoder.decode(data));
    return headers[HEADER.schemaVersion] === SCHEMA_VERSION ? (value as T) : validate(value);
  };
}
