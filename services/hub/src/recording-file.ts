import { createReadStream } from "node:fs";
import { StringDecoder } from "node:string_decoder";
import { RECORDING_FORMAT, RECORDING_FORMAT_VERSION, RecordedMessage, RecordingHeader } from "@carehub/schemas";

/** One line of a recording (JSON Lines): the header first, then one message a line. */
export function recordingLine(value: RecordingHeader | RecordedMessage): string {
  return `${JSON.stringify(value)}\n`;
}

/** A recording held whole in memory (small ones: tests, fixtures). Large ones are read with openRecordingFile. */
export interface Recording {
  header: RecordingHeader;
  messages: RecordedMessage[];
}

/** A recording read as it is used: the header, then the messages one at a time (an array is one too). */
export interface RecordingSource {
  header: RecordingHeader;
  messages: Iterable<RecordedMessage> | AsyncIterable<RecordedMessage>;
}

/** Why a recording could not be read: which line, and what was wrong (never the line's content). */
export class RecordingFormatError extends Error {
  readonly code = "CAREHUB_ERR_RECORDING_FORMAT";
  readonly retryable = false;
  readonly line: number;
  constructor(line: number, reason: string) {
    super(`recording line ${line}: ${reason}`);
    this.line = line;
    this.name = "RecordingFormatError";
  }
}

/** Reads a whole recording held in a string, checking every line against its schema. */
export function parseRecording(text: string): Recording {
  const lines = text.split("\n");
  const [first, ...rest] = lines;
  const header = parseHeader(first);
  const messages: RecordedMessage[] = [];
  for (const [index, line] of rest.entries()) {
    if (line.trim() !== "") messages.push(parseMessage(line, index + 2));
  }
  return { header, messages };
}

/**
 * The lines of a byte stream, one at a time, pulling the next chunk only when the lines of the last are used up:
 * at most one chunk and one line are held, however long the recording.
 */
export async function* linesOf(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  const decoder = new StringDecoder("utf8");
  let rest = "";
  for await (const chunk of chunks) {
    const text = rest + (typeof chunk === "string" ? chunk : decoder.write(Buffer.from(chunk)));
    let start = 0;
    // `rest` has no line break: a line longer than a chunk is not searched again from its beginning.
    for (let end = text.indexOf("\n", rest.length); end !== -1; end = text.indexOf("\n", start)) {
      yield text.slice(start, end);
      start = end + 1;
    }
    rest = text.slice(start);
  }
  rest += decoder.end();
  if (rest !== "") yield rest;
}

/**
 * Reads a recording as a stream of chunks: the header first (refusing another format or an unknown version), then
 * each message as it is asked for, checked against its schema; a bad line throws when it is reached.
 */
export async function readRecording(chunks: AsyncIterable<Uint8Array | string>): Promise<RecordingSource> {
  const lines = linesOf(chunks)[Symbol.asyncIterator]();
  const first = await lines.next();
  const header = parseHeader(first.done === true ? undefined : first.value);
  async function* messages(): AsyncGenerator<RecordedMessage> {
    let number = 1;
    for (let next = await lines.next(); next.done !== true; next = await lines.next()) {
      number++;
      if (next.value.trim() !== "") yield parseMessage(next.value, number);
    }
  }
  return { header, messages: messages() };
}

/** An opened recording file: checked whole, then read again, a chunk at a time, as often as asked. */
export interface RecordingFile {
  header: RecordingHeader;
  /** Messages in the file. */
  count: number;
  /** The messages from the first, read from the file as they are used. */
  messages(): AsyncIterable<RecordedMessage>;
}

/**
 * Opens a recording file without ever holding it whole: one pass checks every line (so a bad line is refused
 * before anything is replayed) and counts the messages; `messages()` reads them again as they are used.
 */
export async function openRecordingFile(path: string): Promise<RecordingFile> {
  const checked = await readRecording(createReadStream(path));
  let count = 0;
  for await (const _ of checked.messages) count++;
  return {
    header: checked.header,
    count,
    messages: () => ({
      async *[Symbol.asyncIterator]() {
        yield* (await readRecording(createReadStream(path))).messages;
      },
    }),
  };
}

function parseHeader(line: string | undefined): RecordingHeader {
  if (line === undefined || line.trim() === "") throw new RecordingFormatError(1, "empty: no header line");
  const head = parseLine(line, 1) as { format?: unknown; formatVersion?: unknown };
  if (head.format !== RECORDING_FORMAT) throw new RecordingFormatError(1, `not a ${RECORDING_FORMAT} file`);
  if (head.formatVersion !== RECORDING_FORMAT_VERSION) {
    throw new RecordingFormatError(
      1,
      `format version ${String(head.formatVersion)} is not ${RECORDING_FORMAT_VERSION}`,
    );
  }
  const header = RecordingHeader.safeParse(head);
  if (!header.success) throw new RecordingFormatError(1, issuesOf(header.error));
  return header.data;
}

function parseMessage(line: string, number: number): RecordedMessage {
  const message = RecordedMessage.safeParse(parseLine(line, number));
  if (!message.success) throw new RecordingFormatError(number, issuesOf(message.error));
  return message.data;
}

function parseLine(line: string, number: number): unknown {
  try {
    return JSON.parse(line);
  } catch {
    throw new RecordingFormatError(number, "not JSON");
  }
}

function issuesOf(error: { issues: Array<{ path: PropertyKey[]; message: string }> }): string {
  return error.issues.map((issue) => `${issue.path.map(String).join(".") || "(line)"}: ${issue.message}`).join("; ");
}
