import { DirectMsgHeaders } from "@nats-io/jetstream";
import type { MsgHdrs, NatsConnection } from "@nats-io/nats-core";
import { headerBlock, headersToRecord, parseHeaderBlock } from "./headers.ts";
import { NATS_REQUEST_TIMEOUT_MS } from "./publish-acks.ts";
import type { StoredMessage } from "./redrive.ts";

/** What a direct get adds to the message's own headers (the stream's view of it), left out of StoredMessage.headers. */
const SERVER_HEADERS: ReadonlySet<string> = new Set(Object.values(DirectMsgHeaders));

const encoder = new TextEncoder();
// A stream name goes into the request's subject: one that would make another subject, or that nats.js's
// validateStreamName refuses ('/', '\\', white space), is refused unsent, as nats.js did.
const INVALID_STREAM_NAME = /[.*>/\\\s]/;

/** A direct get the server answered with a status other than "message not found". */
export class DirectGetStatusError extends Error {
  readonly code: number;
  constructor(code: number, description: string) {
    super(`direct get answered ${code} ${description}`.trim());
    this.name = "DirectGetStatusError";
    this.code = code;
  }
}

/**
 * One stored message by sequence, by direct get (`$JS.API.DIRECT.GET.<stream>`): null when the answering server has
 * none. As nats.js's `jsm.direct.getMessage` asks and reads it, without building its header map (a Map of arrays, each
 * line checked as if it were being set) and the status and message objects around it, only for the bus to copy the
 * headers into a record (docs/decisions/0127). Only for a non-empty payload: for an empty one (a 404; a claim-checked
 * or by-reference message) nats-core's request mux builds the header map itself, to look for a 503. The server appends its own headers to the message's; where the message
 * itself carries one of those names (INGRESS headers are an endpoint's), the server's is the last of that name, as
 * nats.js read it.
 */
export async function directGet(nc: NatsConnection, stream: string, seq: number): Promise<StoredMessage | null> {
  if (stream === "" || INVALID_STREAM_NAME.test(stream)) {
    throw new Error(`invalid stream name ${JSON.stringify(stream)}`);
  }
  const answer = await nc.request(`$JS.API.DIRECT.GET.${stream}`, encoder.encode(`{"seq":${seq}}`), {
    // The timeout nats.js's `jsm.direct.getMessage` used: its JetStream manager's, which the bus leaves at its default.
    timeout: NATS_REQUEST_TIMEOUT_MS,
  });
  // The header block as text; where this nats-core keeps the answer's bytes elsewhere, its header map, as nats.js read it.
  const block: string | MsgHdrs | undefined = headerBlock(answer) ?? answer.headers;
  if (block === undefined || block === "") throw new DirectGetStatusError(0, "without headers");
  const status = typeof block === "string" ? statusOf(block) : { code: block.code, description: block.description };
  if (status.code === 404 && status.description.toLowerCase() === "message not found") return null;
  if (status.code !== 0) throw new DirectGetStatusError(status.code, status.description);
  // The message's headers and the server's (the last of each name) read in one pass over the block.
  const server: Record<string, string> = {};
  const headers =
    typeof block === "string"
      ? parseHeaderBlock(block, { names: SERVER_HEADERS, last: server })
      : fromMap(block, server);
  const sequence = server[DirectMsgHeaders.Sequence];
  return {
    subject: server[DirectMsgHeaders.Subject] ?? "",
    seq: sequence === undefined ? 0 : Number.parseInt(sequence, 10),
    data: answer.data,
    headers,
    time: new Date(Date.parse(server[DirectMsgHeaders.TimeStamp] ?? "")),
  };
}

/** `NATS/1.0 404 Message Not Found` → 404 and its description; `NATS/1.0` → 0, as nats-core's MsgHdrsImpl reads it. */
function statusOf(text: string): { code: number; description: string } {
  const end = text.indexOf("\r\n");
  const rest = (end < 0 ? text : text.slice(0, end)).replace("NATS/1.0", "").trim();
  if (rest === "") return { code: 0, description: "" };
  const code = Number.parseInt(rest, 10);
  if (Number.isNaN(code)) return { code: 0, description: rest };
  return { code, description: rest.replace(String(code), "").trim() };
}

/** nats-core's header map read as parseHeaderBlock reads a block: the server's headers' last values put in `server`. */
function fromMap(map: MsgHdrs, server: Record<string, string>): Record<string, string> {
  const headers = headersToRecord(map);
  for (const name of SERVER_HEADERS) {
    if (!map.has(name)) continue;
    server[name] = map.last(name);
    delete headers[name];
  }
  return headers;
}
