import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  linesOf,
  openRecordingFile,
  parseRecording,
  RecordingFormatError,
  readRecording,
  recordingLine,
} from "./recording-file.ts";

const HEADER = {
  format: "carehub-recording",
  formatVersion: 1,
  recordedAt: "2026-01-05T08:00:00.000Z",
  selection: {},
  anonymised: false,
} as const;
const MESSAGE = {
  seq: 7,
  sender: "acute-team",
  receivedAt: "2026-01-05T07:59:59.000Z",
  storedAt: "2026-01-05T07:59:59.001Z",
  headers: { "Content-Type": "application/fhir+json" },
  bytes: Buffer.from("{}").toString("base64"),
  originalHubId: "4f2c9a0e-0000-5000-8000-000000000000",
  outcome: { status: "delivered", receivers: { practice: "delivered" } },
} as const;

function failure(text: string): RecordingFormatError {
  try {
    parseRecording(text);
  } catch (error) {
    if (error instanceof RecordingFormatError) return error;
    throw error;
  }
  throw new Error("parsed");
}

describe("recordings (JSON Lines)", () => {
  it("reads back what it writes", () => {
    const text = recordingLine(HEADER) + recordingLine(MESSAGE);
    expect(parseRecording(text)).toEqual({ header: HEADER, messages: [MESSAGE] });
  });

  it("refuses another format or an unknown version on the header line", () => {
    expect(failure(JSON.stringify({ ...HEADER, format: "har" })).message).toBe(
      "recording line 1: not a carehub-recording file",
    );
    expect(failure(JSON.stringify({ ...HEADER, formatVersion: 2 })).message).toBe(
      "recording line 1: format version 2 is not 1",
    );
    expect(failure("").line).toBe(1);
  });

  it("names the line and field of a message that does not fit, never its content", () => {
    const secret = "0101701234";
    const bad = { ...MESSAGE, sender: secret, bytes: "not base64!" };
    const error = failure(recordingLine(HEADER) + recordingLine(MESSAGE) + recordingLine(bad));
    expect(error).toMatchObject({ line: 3, code: "CAREHUB_ERR_RECORDING_FORMAT", retryable: false });
    expect(error.message).toContain("bytes");
    expect(error.message).not.toContain(secret);
    expect(failure(`${recordingLine(HEADER)}{"seq":`).message).toBe("recording line 2: not JSON");
  });
});

describe("reading a recording as a stream", () => {
  const CHUNK = 4096;
  const messageAt = (seq: number) => ({ ...MESSAGE, seq, bytes: Buffer.from(`{"n":${seq}}`).toString("base64") });

  /** The text in CHUNK-byte chunks, counting how many were pulled (a file read stream does the same). */
  function chunked(text: string): { chunks: AsyncIterable<Uint8Array>; pulled: () => number } {
    const bytes = Buffer.from(text);
    let pulled = 0;
    return {
      pulled: () => pulled,
      chunks: (async function* () {
        for (let at = 0; at < bytes.length; at += CHUNK) {
          pulled++;
          yield bytes.subarray(at, at + CHUNK);
        }
      })(),
    };
  }

  it("pulls the next chunk only when the lines already read are used up (never the whole recording at once)", async () => {
    // Catches a reader that reads the whole file before the first message (readFile + split): every chunk
    // would be pulled before the first message comes out.
    const lines = Array.from({ length: 3_000 }, (_, i) => recordingLine(messageAt(i + 1)));
    const text = recordingLine(HEADER) + lines.join("");
    const source = chunked(text);
    const recording = await readRecording(source.chunks);
    expect(recording.header).toEqual(HEADER);
    let used = Buffer.byteLength(recordingLine(HEADER));
    let most = 0;
    let seq = 0;
    for await (const message of recording.messages) {
      seq++;
      expect(message.seq).toBe(seq);
      used += Buffer.byteLength(recordingLine(message));
      // Read but not yet handed out: at most the chunk the current line ends in.
      most = Math.max(most, source.pulled() * CHUNK - used);
    }
    expect(seq).toBe(3_000);
    expect(Math.ceil(text.length / CHUNK)).toBeGreaterThan(50);
    expect(most).toBeLessThan(CHUNK);
  });

  it("splits lines across chunk and multi-byte character boundaries", async () => {
    const text = "first line æøå\nsecond ÆØÅ line\n\nlast without a break";
    const bytes = Buffer.from(text);
    const oneByte = (async function* () {
      for (const byte of bytes) yield Uint8Array.of(byte);
    })();
    const lines: string[] = [];
    for await (const line of linesOf(oneByte)) lines.push(line);
    expect(lines).toEqual(text.split("\n"));
  });

  it("refuses a bad line when it is reached, naming its number; openRecordingFile refuses before any message", async () => {
    const text = recordingLine(HEADER) + recordingLine(messageAt(1)) + "\n" + recordingLine({ ...MESSAGE, seq: -1 });
    const recording = await readRecording(chunked(text).chunks);
    const seen: number[] = [];
    const reading = (async () => {
      for await (const message of recording.messages) seen.push(message.seq);
    })();
    await expect(reading).rejects.toMatchObject({ line: 4, code: "CAREHUB_ERR_RECORDING_FORMAT" });
    expect(seen).toEqual([1]);

    const dir = await mkdtemp(join(tmpdir(), "carehub-recording-"));
    try {
      const bad = join(dir, "bad.jsonl");
      await writeFile(bad, text);
      await expect(openRecordingFile(bad)).rejects.toMatchObject({ line: 4 });
      const good = join(dir, "good.jsonl");
      await writeFile(good, recordingLine(HEADER) + recordingLine(messageAt(1)) + recordingLine(messageAt(2)));
      const file = await openRecordingFile(good);
      expect(file.count).toBe(2);
      // Read again on each call, from the first message.
      for (let round = 0; round < 2; round++) {
        const seqs: number[] = [];
        for await (const message of file.messages()) seqs.push(message.seq);
        expect(seqs).toEqual([1, 2]);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
