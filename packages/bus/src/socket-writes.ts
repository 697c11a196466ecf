import type { NatsConnection } from "@nats-io/nats-core";
import type { Redis } from "ioredis";

/**
 * The hub's one owner of socket-write coalescing (docs/decisions/0098, 0116). Every Redis client a hub process builds
 * and its NATS connection hold what they write during one turn of the event loop — every I/O callback and timer of
 * the turn, with the promise continuations and `nextTick`s each sets off — and write it at the turn's end (its
 * check phase, `setImmediate`), as one chunk per socket: one `write` syscall and one string or Buffer converted
 * once, where each command used to be written (and converted) on its own. One flush per turn serves every socket of
 * the process.
 *
 * A write made in a turn's timers or poll phase waits for the other callbacks of its turn, never for a later turn's:
 * the flush is queued with the first write held, and the event loop does not block for I/O while an immediate is
 * queued. A write made in the check or close phase (an immediate queued after the flush, a 'close' handler) waits
 * through the next turn's timers and poll callbacks, for that turn's flush (see `flushAtEndOfTurn`). A callback of
 * the same turn may be the one in which a client learns that its connection died; what is held for that socket is
 * then dropped with it (see `holdSocketWrites`), never written to the next connection, and the client resends or
 * fails it as it does for bytes a dead socket swallowed. (Holding only to the end of each callback's own work,
 * 0098's timing, made about 1.8 times the writes flat out: docs/decisions/0116.)
 */

type Flush = () => void;

// The event loop's own `setImmediate`, taken when this module loads: fake timers installed later (vitest's
// `vi.useFakeTimers()` fakes `setImmediate` by default) would otherwise hold every socket's writes until the test
// advanced them — a command never sent, its await never answered.
const atEndOfTurn = globalThis.setImmediate;

const due = new Set<Flush>();
let scheduled = false;

function flushAll(): void {
  scheduled = false;
  // A flush may hold more (a write callback that writes): those go at the end of the next turn.
  const flushes = [...due];
  due.clear();
  for (const flush of flushes) flush();
}

/**
 * Queued with the first write held in a turn, the flush runs in that turn's check phase, after every I/O callback
 * of its poll phase. A write made in the check phase itself (another immediate, queued after this one) is written
 * in the next turn's, which the event loop reaches without waiting for I/O.
 */
function flushAtEndOfTurn(flush: Flush): void {
  due.add(flush);
  if (!scheduled) {
    scheduled = true;
    atEndOfTurn(flushAll);
  }
}

interface WritableSocket {
  write(chunk: unknown, ...rest: unknown[]): boolean;
  end(...args: unknown[]): unknown;
  writable: boolean;
  readableEnded: boolean;
}

const HELD = Symbol("carehub.heldWrites");

/**
 * What a socket holds is written at once when it reaches this size (string characters and Buffer bytes, about bytes
 * for the protocol text), as nats-core writes its own buffer at its pending limit: a turn that sends many large
 * commands writes them in chunks of about this size, never one unbounded chunk at the turn's end.
 */
const HELD_LIMIT = 64 * 1024;

/**
 * Holds a socket's writes of strings and Buffers until the end of the event-loop turn and writes them then as one
 * chunk: one string when all were strings (ioredis' commands are, unless an argument is a Buffer), else one Buffer.
 * A write with a callback or an encoding, and `end` (unless the peer's FIN ended the socket: below), first write
 * what is held, so order is kept. What is held for a socket that is no longer writable when the turn ends (it died,
 * and the client may have learnt so in a callback of the same turn) is dropped with it: the client (ioredis) still
 * counts those commands as sent and unanswered, and resends them on its next connection, or fails them, as it does
 * for bytes a dead socket swallowed — a dropped command never reached the server, so a resend runs it once.
 */
export function holdSocketWrites(socket: WritableSocket): void {
  const marked = socket as WritableSocket & { [HELD]?: true };
  if (marked[HELD]) return;
  marked[HELD] = true;
  const write = socket.write.bind(socket);
  const end = socket.end.bind(socket);
  let text = "";
  let parts: (string | Buffer)[] | undefined;
  let size = 0;
  const drop = () => {
    due.delete(flush);
    text = "";
    parts = undefined;
    size = 0;
  };
  const flush = () => {
    if (text === "" && parts === undefined) {
      due.delete(flush);
      return;
    }
    const chunk = parts === undefined ? text : Buffer.concat(toBuffers(parts, text));
    drop();
    // Not writable: destroyed (a reset), where Node drops a write without an error anyway, or ended by a path other
    // than `end` below (which writes or drops what is held first) with a write made after it — ioredis writes only to
    // a writable, unended socket, so no client of ours does that, and no test can make it happen; dropping it spares
    // the socket a write-after-end error for bytes that could not go out anyway.
    if (socket.writable) write(chunk);
  };
  socket.write = (chunk: unknown, ...rest: unknown[]): boolean => {
    if (rest.length > 0) {
      flush();
      return write(chunk, ...rest);
    }
    if (typeof chunk === "string") {
      text += chunk;
    } else if (Buffer.isBuffer(chunk)) {
      parts ??= [];
      if (text !== "") parts.push(text);
      text = "";
      parts.push(chunk);
    } else {
      flush();
      return write(chunk);
    }
    size += chunk.length;
    if (size >= HELD_LIMIT) flush();
    else flushAtEndOfTurn(flush);
    return true;
  };
  // Ended because the peer's FIN arrived (Node ends a socket that is not half-open when its peer does): what is held
  // is dropped, as for a reset, not written into the half-closed socket, where a peer that only half-closed (a
  // proxy) would still read and run it and ioredis, which never gets its reply, would resend it — run twice.
  // Dropped, it is resent once on the next connection. Ended by the client itself (`quit`, `disconnect`): written.
  socket.end = (...args: unknown[]) => {
    if (socket.readableEnded) drop();
    else flush();
    return end(...args);
  };
}

function toBuffers(parts: (string | Buffer)[], tail: string): Buffer[] {
  const buffers = parts.map((part) => (typeof part === "string" ? Buffer.from(part) : part));
  if (tail !== "") buffers.push(Buffer.from(tail));
  return buffers;
}

/**
 * A Redis client whose every connection (the first and each one after a reconnect or a failover: ioredis makes a
 * new socket each time and keeps it in `stream`) holds its writes to the end of the event-loop turn.
 */
export function coalesceRedisWrites<R extends Redis>(redis: R): R {
  const target = redis as unknown as { stream?: WritableSocket };
  let stream = target.stream;
  if (stream !== undefined) holdSocketWrites(stream);
  Object.defineProperty(target, "stream", {
    configurable: true,
    enumerable: true,
    get: () => stream,
    set: (next: WritableSocket | undefined) => {
      if (next !== undefined) holdSocketWrites(next);
      stream = next;
    },
  });
  return redis;
}

interface NatsProtocol {
  flushPending(): void;
  outbound?: { size(): number };
  pendingLimit: number;
  close(error?: Error): Promise<void>;
}

/**
 * A NATS connection whose outbound buffer is written at the end of the event-loop turn instead of in the first
 * command's microtask. nats-core collects everything published in its outbound buffer (one Buffer) and flushes it
 * when that microtask runs: a publish or ack made after an `await` that resumed later, or in another callback of the
 * turn, found it flushed and wrote a frame of its own. Held, the frames stay in that buffer, which nats-core owns
 * across a disconnect exactly as before (a flush while disconnected writes nothing and keeps them; what it drops
 * when it dials again it drops as before). `close` writes what is held first.
 */
export function coalesceNatsWrites(nc: NatsConnection): NatsConnection {
  const protocol = (nc as unknown as { protocol?: NatsProtocol }).protocol;
  if (protocol === undefined) return nc;
  const flushNow = protocol.flushPending.bind(protocol);
  const flush = () => {
    due.delete(flush);
    flushNow();
  };
  // nats-core also flushes inline once its buffer passes `pendingLimit` (a loop of large publishes, or many
  // callbacks' publishes in one turn): that flush stays immediate, so holding never grows the buffer past what
  // nats-core itself allows.
  protocol.flushPending = () => {
    if (protocol.outbound !== undefined && protocol.outbound.size() >= protocol.pendingLimit) flush();
    else flushAtEndOfTurn(flush);
  };
  const close = protocol.close.bind(protocol);
  protocol.close = (error?: Error) => {
    flush();
    return close(error);
  };
  return nc;
}
