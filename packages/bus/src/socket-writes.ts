import type { NatsConnection } from "@nats-io/nats-core";
import type { Redis } from "ioredis";

/**
 * The hub's one owner of socket-write coalescing (docs/decisions/0098). Every Redis client a hub process builds and
 * its NATS connection hold what they write during a piece of work — one I/O callback (or timer) and every promise
 * continuation and `nextTick` it sets off — and write it when that work is done, as one chunk per socket: one
 * `write` syscall and one string or Buffer converted once, where each command used to be written (and converted)
 * on its own. One flush per piece of work serves every socket of the process.
 *
 * Nothing is held across an I/O callback: the flush runs before the event loop hands out the next one, so a write
 * waits only for the CPU work of its own callback, and no disconnect, reply or timeout can be seen by a client
 * between a command being held and written. (Holding to the end of the event-loop turn, `setImmediate`, merged
 * more — see the decision — but holds writes across other callbacks.)
 */

type Flush = () => void;

const due = new Set<Flush>();
let scheduled = false;

function flushAll(): void {
  scheduled = false;
  // A flush may hold more (a write callback that writes): those go at the end of that work.
  const flushes = [...due];
  due.clear();
  for (const flush of flushes) flush();
}

const flushAfterTicks = () => process.nextTick(flushAll);

/**
 * Queued as a microtask, the flush's `nextTick` is queued while the piece of work's microtasks run, so it runs
 * once they are all done (Node runs the tick queue and the microtask queue in turn until both are empty), before
 * the event loop hands out the next I/O callback or timer.
 */
function flushAtEndOfWork(flush: Flush): void {
  due.add(flush);
  if (!scheduled) {
    scheduled = true;
    queueMicrotask(flushAfterTicks);
  }
}

interface WritableSocket {
  write(chunk: unknown, ...rest: unknown[]): boolean;
  end(...args: unknown[]): unknown;
  writable: boolean;
}

const HELD = Symbol("carehub.heldWrites");

/**
 * Holds a socket's writes of strings and Buffers until the end of the piece of work and writes them then as one chunk: one
 * string when all were strings (ioredis' commands are, unless an argument is a Buffer), else one Buffer. A write
 * with a callback or an encoding, and `end`, first write what is held, so order is kept. What is held for a socket
 * that is no longer writable when the work ends is dropped with it: the client (ioredis) still counts those commands
 * as sent and unanswered, and fails or resends them as it does for bytes a dead socket swallowed.
 */
export function holdSocketWrites(socket: WritableSocket): void {
  const marked = socket as WritableSocket & { [HELD]?: true };
  if (marked[HELD]) return;
  marked[HELD] = true;
  const write = socket.write.bind(socket);
  const end = socket.end.bind(socket);
  let text = "";
  let parts: (string | Buffer)[] | undefined;
  const flush = () => {
    due.delete(flush);
    if (text === "" && parts === undefined) return;
    const chunk = parts === undefined ? text : Buffer.concat(toBuffers(parts, text));
    text = "";
    parts = undefined;
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
    flushAtEndOfWork(flush);
    return true;
  };
  socket.end = (...args: unknown[]) => {
    flush();
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
 * new socket each time and keeps it in `stream`) holds its writes to the end of the piece of work.
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
 * A NATS connection whose outbound buffer is written at the end of the piece of work instead of in the first
 * command's microtask. nats-core collects everything published in its outbound buffer (one Buffer) and flushes it
 * when that microtask runs: a publish or ack made after an `await` that resumed later found it flushed and wrote a
 * frame of its own. Held,
 * the frames stay in that buffer, which nats-core owns across a disconnect exactly as before (a flush while
 * disconnected writes nothing and keeps them; what it drops when it dials again it drops as before). `close`
 * writes what is held first.
 */
export function coalesceNatsWrites(nc: NatsConnection): NatsConnection {
  const protocol = (nc as unknown as { protocol?: NatsProtocol }).protocol;
  if (protocol === undefined) return nc;
  const flushNow = protocol.flushPending.bind(protocol);
  const flush = () => {
    due.delete(flush);
    flushNow();
  };
  // nats-core also flushes inline once its buffer passes `pendingLimit` (a loop of large publishes): that flush
  // stays immediate, so holding never grows the buffer past what nats-core itself allows.
  protocol.flushPending = () => {
    if (protocol.outbound !== undefined && protocol.outbound.size() >= protocol.pendingLimit) flush();
    else flushAtEndOfWork(flush);
  };
  const close = protocol.close.bind(protocol);
  protocol.close = (error?: Error) => {
    flush();
    return close(error);
  };
  return nc;
}
