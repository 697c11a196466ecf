import { decodeUtf8Prefix } from "../parse-fhir-message.ts";

/** What a Bundle's head says: its resourceType and its first MessageHeader's id and event. */
export interface BundleHead {
  resourceType?: string;
  header?: { id?: string; eventSystem?: string; eventCode?: string };
}

/**
 * Reads a FHIR JSON Bundle's resourceType and its first MessageHeader (id, eventCoding system and code) by
 * scanning the text, without building the document: values it does not need are skipped, and the reading stops
 * as soon as both are known — in a MedCom message the MessageHeader is the first entry, so that is after the
 * first kilobyte or two. Not a validator: intake's full parse is. Undefined fields could not be read.
 */
export function readBundleHead(text: string, maxDepth: number): BundleHead {
  return readJsonBundleHead(text, maxDepth).head;
}

/**
 * Reads a FHIR JSON message's head from UTF-8 bytes decoded in growing prefixes (JSON_FIRST_PREFIX_BYTES,
 * doubling) rather than whole: what the gateway reads a body's id from (decision 0112). The scan is forward-only
 * and stops once both are read, so a head complete in a prefix is the head of the whole text — no value it read
 * or stepped over was cut, or it would have run into the prefix's end first; a head not complete is read again
 * from a longer prefix, at most twice the work on it. The caller proves the whole body UTF-8 first: a body that is
 * not reads no id, as when it was decoded whole.
 *
 * A reading that ended before its prefix's end — on a syntax error, past the depth limit, or after the document's
 * last brace — is final: the scan never looked at what follows, so a longer prefix would end it at the same place
 * with the same head. Only a reading that ran into the prefix's end is tried again longer. A malformed body (the
 * fault in its first kilobytes) is decoded and scanned once instead of in every doubling up to its whole length.
 * `tally`, for tests, is given how many characters (UTF-16 units) were decoded in all.
 */
export function readJsonMessageHead(input: Uint8Array, maxDepth: number, tally?: { decoded: number }): BundleHead {
  for (let bytes = JSON_FIRST_PREFIX_BYTES; ; bytes *= 2) {
    const { text } = decodeUtf8Prefix(input, bytes);
    if (tally !== undefined) tally.decoded += text.length;
    const { head, complete, reachedEnd } = readJsonBundleHead(text, maxDepth);
    if (complete || !reachedEnd || bytes >= input.byteLength) return head;
  }
}

/**
 * Bytes decoded first: a MedCom MessageHeader, narrative included, ends within the first 1.5–2.5 KB of a message
 * (the e2e bench's HomeCareObservation at 1.4 KB of 6.9 KB), and the Bundle's resourceType comes first.
 */
export const JSON_FIRST_PREFIX_BYTES = 4 * 1024;

/**
 * The head of one text; `complete` when both were read (the scan then stopped on them, not at the text's end);
 * `reachedEnd` when the scan looked at the text's end (it may have stopped there for want of more text).
 */
function readJsonBundleHead(
  text: string,
  maxDepth: number,
): { head: BundleHead; complete: boolean; reachedEnd: boolean } {
  const head: BundleHead = {};
  const scanner = new JsonScanner(text, maxDepth);
  scanner.object((key) => {
    if (key === "resourceType") {
      const value = scanner.stringOrSkip();
      if (value !== undefined) head.resourceType = value;
    } else if (key === "entry" && head.header === undefined) {
      scanner.array(() => {
        if (head.header !== undefined) return scanner.skip();
        scanner.object((entryKey) => {
          if (entryKey !== "resource" || head.header !== undefined) return scanner.skip();
          const resource = readResource(scanner);
          if (resource === undefined) return;
          head.header = resource;
          if (head.resourceType !== undefined) scanner.stop();
        });
      });
    } else scanner.skip();
    // Both known: the rest of the document is intake's to read.
    if (head.resourceType !== undefined && head.header !== undefined) scanner.stop();
  });
  return {
    head,
    complete: head.resourceType !== undefined && head.header !== undefined,
    reachedEnd: scanner.reachedEnd,
  };
}

/** A resource's MessageHeader fields when it is a MessageHeader (keys in any order), else undefined. */
function readResource(scanner: JsonScanner): BundleHead["header"] | undefined {
  let resourceType: string | undefined;
  const header: NonNullable<BundleHead["header"]> = {};
  const read = scanner.object((key) => {
    if (key === "resourceType") resourceType = scanner.stringOrSkip();
    else if (key === "id") {
      const id = scanner.stringOrSkip();
      if (id !== undefined) header.id = id;
    } else if (key === "eventCoding") {
      scanner.object((codingKey) => {
        if (codingKey === "system") {
          const system = scanner.stringOrSkip();
          if (system !== undefined) header.eventSystem = system;
        } else if (codingKey === "code") {
          const code = scanner.stringOrSkip();
          if (code !== undefined) header.eventCode = code;
        } else scanner.skip();
      });
    } else scanner.skip();
  });
  return read && resourceType === "MessageHeader" ? header : undefined;
}

/**
 * Walks JSON text left to right. Each method starts at a value (whitespace allowed) and leaves after it. The
 * reading ends — every loop returns at once — at a syntax error (the full parse says which) or when `stop` is
 * called; a flag rather than an exception, which would cost more than the scan.
 */
class JsonScanner {
  readonly #text: string;
  readonly #maxDepth: number;
  #position = 0;
  #depth = 0;
  #ended = false;
  #reachedEnd = false;

  constructor(text: string, maxDepth: number) {
    this.#text = text;
    this.#maxDepth = maxDepth;
  }

  /**
   * Whether the reading looked at the text's end: ran out of text in a value, a string or between values. Until
   * it did, every step it took depended on characters before the end alone (readJsonMessageHead).
   */
  get reachedEnd(): boolean {
    return this.#reachedEnd;
  }

  /** Ends the whole reading. */
  stop(): void {
    this.#ended = true;
  }

  /**
   * Calls `member` for each key of the object here (positioned at its value, which `member` must consume).
   * Returns false when the value is not an object (it is skipped) or the reading ended inside it.
   */
  object(member: (key: string) => void): boolean {
    if (this.#peek() !== 0x7b) {
      this.skip();
      return false;
    }
    if (!this.#enter()) return false;
    if (this.#peek() === 0x7d) return this.#leave();
    while (!this.#ended) {
      if (this.#peek() !== 0x22) break;
      const key = this.#string();
      if (key === undefined || this.#peek() !== 0x3a) break;
      this.#position += 1;
      member(key);
      if (this.#ended) return false;
      const next = this.#peek();
      if (next === 0x7d) return this.#leave();
      if (next !== 0x2c) break;
      this.#position += 1;
    }
    this.#ended = true;
    return false;
  }

  /** Calls `element` for each element of the array here; any other value is skipped. */
  array(element: () => void): void {
    if (this.#peek() !== 0x5b) {
      this.skip();
      return;
    }
    if (!this.#enter()) return;
    if (this.#peek() === 0x5d) {
      this.#leave();
      return;
    }
    while (!this.#ended) {
      element();
      if (this.#ended) return;
      const next = this.#peek();
      if (next === 0x5d) {
        this.#leave();
        return;
      }
      if (next !== 0x2c) break;
      this.#position += 1;
    }
    this.#ended = true;
  }

  /** The string here, or undefined (and the value skipped) when it is something else. */
  stringOrSkip(): string | undefined {
    if (this.#peek() === 0x22) return this.#string();
    this.skip();
    return undefined;
  }

  /** Skips the value here, whatever it is, without reading it. */
  skip(): void {
    const text = this.#text;
    const first = this.#peek();
    if (this.#ended) return;
    if (first === 0x22) {
      const end = stringEnd(text, this.#position);
      if (end < 0) this.#ranOut();
      else this.#position = end + 1;
      return;
    }
    if (first !== 0x7b && first !== 0x5b) {
      // A number, true, false or null: up to the next delimiter.
      let i = this.#position;
      while (i < text.length && !isDelimiter(text.charCodeAt(i))) i++;
      // At the end the number may go on in a longer text: the next look (every caller's #peek) runs out there.
      if (i === this.#position) this.#ended = true;
      this.#position = i;
      return;
    }
    let depth = 0;
    for (let i = this.#position; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i = stringEnd(text, i);
        if (i < 0) break;
      } else if (c === 0x7b || c === 0x5b) {
        depth += 1;
        if (this.#depth + depth > this.#maxDepth) {
          this.#ended = true;
          return;
        }
      } else if (c === 0x7d || c === 0x5d) {
        depth -= 1;
        if (depth === 0) {
          this.#position = i + 1;
          return;
        }
      }
    }
    this.#ranOut();
  }

  /** The string at the position (a quote), decoded; undefined (and the reading ended) when it is broken. */
  #string(): string | undefined {
    const start = this.#position;
    const end = stringEnd(this.#text, start);
    if (end < 0) {
      this.#ranOut();
      return undefined;
    }
    this.#position = end + 1;
    const raw = this.#text.slice(start, end + 1);
    // Escapes are rare in ids and codes: let JSON.parse decode (and check) them when there are any.
    if (!raw.includes("\\")) return raw.slice(1, -1);
    try {
      return JSON.parse(raw) as string;
    } catch {
      this.#ended = true;
      return undefined;
    }
  }

  /** The next non-blank character code; -1 (and the reading ended) at the end of the text. */
  #peek(): number {
    const text = this.#text;
    let i = this.#position;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09 && c !== 0xfeff) break;
      i++;
    }
    this.#position = i;
    if (i >= text.length) {
      this.#ranOut();
      return -1;
    }
    return text.charCodeAt(i);
  }

  /** The reading ended at the text's end. */
  #ranOut(): void {
    this.#reachedEnd = true;
    this.#ended = true;
  }

  #enter(): boolean {
    this.#depth += 1;
    this.#position += 1;
    if (this.#depth > this.#maxDepth) this.#ended = true;
    return !this.#ended;
  }

  #leave(): true {
    this.#position += 1;
    this.#depth -= 1;
    return true;
  }
}

/** The index of the quote that closes the string opening at `start`; -1 when there is none. */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  for (;;) {
    const quote = text.indexOf('"', i);
    if (quote < 0) return -1;
    let backslashes = 0;
    for (let j = quote - 1; text.charCodeAt(j) === 0x5c; j--) backslashes++;
    if (backslashes % 2 === 0) return quote;
    i = quote + 1;
  }
}

function isDelimiter(c: number): boolean {
  return c === 0x2c || c === 0x7d || c === 0x5d || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}
