import { RECORDING_FORMAT, RECORDING_FORMAT_VERSION, RecordedMessage, RecordingHeader } from "@carehub/schemas";

/** One line of a recording (JSON Lines): the header first, then one message a line. */
export function recordingLine(value: RecordingHeader | RecordedMessage): string {
  return `${JSON.stringify(value)}\n`;
}

export interface Recording {
  header: RecordingHeader;
  messages: RecordedMessage[];
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

/** Reads a whole recording, checking every line against its schema; refuses a format version it does not know. */
export function parseRecording(text: string): Recording {
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  const [first, ...rest] = lines;
  if (first === undefined) throw new RecordingFormatError(1, "empty: no header line");
  const head = parseLine(first, 1) as { format?: unknown; formatVersion?: unknown };
  if (head.format !== RECORDING_FORMAT) throw new RecordingFormatError(1, `not a ${RECORDING_FORMAT} file`);
  if (head.formatVersion !== RECORDING_FORMAT_VERSION) {
    throw new RecordingFormatError(
      1,
      `format version ${String(head.formatVersion)} is not ${RECORDING_FORMAT_VERSION}`,
    );
  }
  const header = RecordingHeader.safeParse(head);
  if (!header.success) throw new RecordingFormatError(1, issuesOf(header.error));
  const messages = rest.map((line, index) => {
    const message = RecordedMessage.safeParse(parseLine(line, index + 2));
    if (!message.success) throw new RecordingFormatError(index + 2, issuesOf(message.error));
    return message.data;
  });
  return { header: header.data, messages };
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
