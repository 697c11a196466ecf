import { DirectMsgHeaders } from "@nats-io/jetstream";
import { DirectMsgImpl, JetStreamStatus } from "@nats-io/jetstream/internal";
import type { Msg, NatsConnection } from "@nats-io/nats-core";
import { MsgImpl } from "@nats-io/nats-core/internal";
import { describe, expect, it } from "vitest";
import { directGet } from "./direct-get.ts";
import { headersToRecord, parseHeaderBlock } from "./headers.ts";

// The bus reads a direct get's answer itself (docs/decisions/0127) where nats.js's `jsm.direct.getMessage` read it
// through nats-core's header map, `JetStreamStatus` and `DirectMsgImpl`. INGRESS headers are an endpoint's: one with
// NATS credentials can publish any header bytes to its own INGRESS subject, and the server appends its own
// `Nats-Stream` / `Nats-Subject` / `Nats-Sequence` / `Nats-Time-Stamp` after them. Each answer below is handed to both
// readers as nats-core hands it (a MsgImpl over the answer's bytes); they must decide alike. The real server's answers
// are in publish-consume.int.test.ts.

const encoder = new TextEncoder();
const payload = encoder.encode("payload");
const SERVER = "Nats-Stream: S\r\nNats-Subject: x.y\r\nNats-Sequence: 5\r\nNats-Time-Stamp: 2026-12-07T10:00:00Z\r\n";

/** The answer as nats-core's request resolves it: a MsgImpl over the header block and payload (hdr -1: no headers). */
function answer(block: string | undefined): Msg {
  const head = block === undefined ? new Uint8Array(0) : encoder.encode(block);
  const bytes = new Uint8Array(head.length + payload.length);
  bytes.set(head);
  bytes.set(payload, head.length);
  const arg = { subject: encoder.encode("_INBOX.x"), sid: 1, hdr: block === undefined ? -1 : head.length, size: 0 };
  return new MsgImpl(arg, bytes, { publish: () => {} } as never);
}

/** Header blocks of answers (undefined: an answer without headers). */
const cases: Record<string, string | undefined> = {
  "no headers": undefined,
  plain: `NATS/1.0\r\nNats-Msg-Id: a\r\n${SERVER}\r\n`,
  "fractional time stamp": `NATS/1.0\r\n${SERVER.replace("00Z", "00.123456789Z")}\r\n`,
  "forged server headers":
    "NATS/1.0\r\nNats-Sequence: 99\r\nNats-Subject: evil\r\nNats-Time-Stamp: 2001-01-01T00:00:00Z\r\n" +
    `Nats-Stream: X\r\n${SERVER}\r\n`,
  "forged in other cases": `NATS/1.0\r\nnats-sequence: 99\r\nNATS-SUBJECT: evil\r\nnats-time-stamp: 2001\r\n${SERVER}\r\n`,
  "forged after the server's name case": `NATS/1.0\r\n${SERVER}NATS-SEQUENCE: 99\r\n\r\n`,
  "':' inside values": `NATS/1.0\r\nCarehub-Kind: a:b: c\r\nX: Nats-Sequence: 7\r\n${SERVER}\r\n`,
  "a repeated header": `NATS/1.0\r\nCarehub-Payload-Key: k1\r\nCarehub-Payload-Key: k2\r\n${SERVER}\r\n`,
  "block without closing CRLF": `NATS/1.0\r\nX: Nats-Stream: S\r\n${SERVER}`,
  "a line without a colon": `NATS/1.0\r\nnocolon\r\n${SERVER}\r\n`,
  "corrupted status line": `NATS/1.0 abc\r\n${SERVER}\r\n`,
  "status line run into a header": `NATS/1Nats-Sequence: 99\r\n${SERVER}\r\n`,
  "sender-written 404": `NATS/1.0 404 Message Not Found\r\n${SERVER}\r\n`,
  "sender-written 200": `NATS/1.0 200 OK\r\n${SERVER}\r\n`,
  "404 Message Not Found": "NATS/1.0 404 Message Not Found\r\n\r\n",
  "404 message not found": "NATS/1.0 404 message not found\r\n\r\n",
  "404 MESSAGE NOT FOUND": "NATS/1.0 404 MESSAGE NOT FOUND\r\n\r\n",
  "404 of another description": "NATS/1.0 404 No Such Stream\r\n\r\n",
  "bare 404": "NATS/1.0 404\r\n\r\n",
  "408": "NATS/1.0 408 Request Timeout\r\n\r\n",
  "503": "NATS/1.0 503\r\n\r\n",
};

const connection = (reply: () => Msg) => ({ request: async () => reply() }) as unknown as NatsConnection;

type Outcome = "none" | "error" | { subject: string; seq: number; headers: Record<string, string>; time: number };

async function ours(reply: Msg): Promise<Outcome> {
  try {
    const read = await directGet(
      connection(() => reply),
      "S",
      5,
    );
    if (read === null) return "none";
    expect(read.data).toEqual(payload);
    return { subject: read.subject, seq: read.seq, headers: read.headers, time: read.time.getTime() };
  } catch {
    return "error";
  }
}

/** What nats.js's `jsm.direct.getMessage` made of the same answer (jsm_direct.js), copied into a record as before. */
function viaNatsJs(reply: Msg): Outcome {
  try {
    if (reply.headers?.code !== 0) return new JetStreamStatus(reply).isMessageNotFound() ? "none" : "error";
    const read = new DirectMsgImpl(reply);
    const headers = headersToRecord(read.header);
    for (const name of Object.values(DirectMsgHeaders)) delete headers[name];
    return { subject: read.subject, seq: read.seq, headers, time: read.time.getTime() };
  } catch {
    return "error";
  }
}

describe("directGet's reading of an answer", () => {
  it("decides as nats.js did, on the answers an endpoint's headers or the server can make", async () => {
    // Bugs caught: a sender's forged `Nats-Sequence` / `Nats-Subject` / `Nats-Time-Stamp` taken for the server's (the
    // first of a name read instead of the last, or a name matched without regard to case: the router would read
    // another message's sequence or subject); a sender-written `NATS/1.0 404 Message Not Found` status or a corrupted
    // status line read otherwise than nats.js read it; a 404 of another description, 408 or 503 taken for "none"
    // (the message would be treated as missing, not asked again of the stream's leader); an answer without headers
    // read as a message.
    const kinds = new Set<string>();
    for (const [name, block] of Object.entries(cases)) {
      const expected = viaNatsJs(answer(block));
      expect(await ours(answer(block)), name).toEqual(expected);
      kinds.add(typeof expected === "string" ? expected : "message");
    }
    // All three outcomes were compared.
    expect([...kinds].sort()).toEqual(["error", "message", "none"]);
    // And the forged ones really were forged: the server's values won.
    expect(await ours(answer(cases["forged server headers"]))).toMatchObject({ subject: "x.y", seq: 5 });
    expect(await ours(answer(cases["forged in other cases"]))).toMatchObject({
      subject: "x.y",
      seq: 5,
      time: Date.parse("2026-12-07T10:00:00Z"),
    });
  });

  it("reads a header name nats-core refuses as the consumer reads it, the server's headers still winning", async () => {
    // nats.js refused such an answer whole (its header map checks each name as if it were being set), and the read
    // went to the stream's leader; the bus reads the names as written, as its consumers read the same message
    // (receivedHeaders, docs/decisions/0094). Bug caught: a `Nats-Sequence :` or ` Nats-Subject` line taken for the
    // server's own.
    for (const block of [
      `NATS/1.0\r\nNats-Sequence : 99\r\n Nats-Subject: evil\r\n${SERVER}\r\n`,
      `NATS/1.0\r\nBad Name: v\r\n\tcontinued: yes\r\n${SERVER}\r\n`,
    ]) {
      expect(viaNatsJs(answer(block))).toBe("error");
      const headers = parseHeaderBlock(block);
      for (const name of Object.values(DirectMsgHeaders)) delete headers[name];
      expect(await ours(answer(block))).toEqual({
        subject: "x.y",
        seq: 5,
        headers,
        time: Date.parse("2026-12-07T10:00:00Z"),
      });
    }
  });

  it("reads through nats-core's header map where a nats-core keeps the answer's bytes elsewhere, as nats.js did", async () => {
    // Bug caught: an answer whose bytes the bus cannot reach (a nats-core upgrade renaming `_rdata` / `_msg.hdr`) taken
    // for one without headers: an error, the direct connection's cache cleared and three requests per read.
    const kinds = new Set<string>();
    for (const [name, block] of Object.entries(cases)) {
      const client = answer(block);
      const opaque = { subject: client.subject, data: client.data, headers: client.headers } as Msg;
      const expected = viaNatsJs(opaque);
      expect(await ours(opaque), name).toEqual(expected);
      kinds.add(typeof expected === "string" ? expected : "message");
    }
    expect([...kinds].sort()).toEqual(["error", "message", "none"]);
  });

  it("refuses unsent a stream name nats.js refuses", async () => {
    // Bug caught: a name that makes another request subject (`.`, `*`, `>`) or one nats.js's validateStreamName
    // refuses (`/`, `\\`, white space) sent to the server where nats.js threw first.
    let asked = 0;
    const nc = connection(() => {
      asked++;
      return answer(cases.plain);
    });
    for (const stream of ["", "A.B", "A*", "A>", "A/B", "A\\B", "A B", "A\tB", "A\nB", "A\rB"]) {
      await expect(directGet(nc, stream, 1), JSON.stringify(stream)).rejects.toThrow(/invalid stream name/);
    }
    expect(asked).toBe(0);
    await expect(directGet(nc, "CAREHUB_INGRESS-1_x", 1)).resolves.toMatchObject({ seq: 5 });
    expect(asked).toBe(1);
  });
});
