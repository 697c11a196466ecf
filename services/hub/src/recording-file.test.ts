import { describe, expect, it } from "vitest";
import { parseRecording, RecordingFormatError, recordingLine } from "./recording-file.ts";

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
