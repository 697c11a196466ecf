const decoder = new TextDecoder();

/** A `decode` for JSON bodies: `consume({ decode: jsonDecoder<Envelope>(Envelope.parse) })`. */
export function jsonDecoder<T>(validate?: (value: unknown) => T): (data: Uint8Array) => T {
  return (data) => {
    const value: unknown = JSON.parse(decoder.decode(data));
    return validate === undefined ? (value as T) : validate(value);
  };
}
