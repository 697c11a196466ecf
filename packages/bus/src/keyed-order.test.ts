import { createLogger } from "@carehub/observability";
import { ClosedConnectionError } from "@nats-io/nats-core";
import { describe, expect, it, vi } from "vitest";
import { KeyedOrder, NOTICE_FOR_ACK_WAITS, type Turn } from "./keyed-order.ts";

/*
 * The one keyed order (docs/decisions/0120): intake's per-sender lanes (one key, the turn passed once the PIPELINE
 * publish is called) and the tracker's order of business envelopes (several keys per envelope, the turn passed when the
 * fold settles). Every guarantee either caller relied on before is tested here.
 */

function gate(): { promise: Promise<void>; open: () => void; fail: (error: Error) => void } {
  let open: () => void = () => {};
  let fail: (error: Error) => void = () => {};
  const promise = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

/** Every microtask and a turn of the event loop. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** A real logger whose lines the test reads. */
function loggedLines(): { logger: ReturnType<typeof createLogger>; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    name: "keyed-order-test",
    level: "debug",
    destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
  });
  return { logger, lines };
}

describe("KeyedOrder", () => {
  // Catches: tasks of one key run at once — a correction overtaking its original on PIPELINE (intake), a later
  // business envelope's fold starting before an earlier, slower one has finished (tracker, 0113).
  it("starts a task only after every task handed over before it under its key has settled", async () => {
    const order = new KeyedOrder();
    const started: string[] = [];
    const first = gate();
    const a = order.run("REF-1", async () => {
      started.push("a");
      await first.promise;
      started.push("a done");
    });
    const b = order.run("REF-1", async () => {
      started.push("b");
    });
    await settle();
    expect(started).toEqual(["a"]);
    first.open();
    await Promise.all([a, b]);
    expect(started).toEqual(["a", "a done", "b"]);
  });

  // Catches: one queue for everyone (intake back to one message at a time, waiting on each round trip; in the
  // tracker, a slow referral holding up every other referral's folds — in a backlog with 1 in 10 envelopes a
  // referral or status update, slower than one envelope at a time), and a queue kept per key for ever.
  it("runs the tasks of other keys side by side, and forgets a key once its tasks are done", async () => {
    const order = new KeyedOrder();
    const first = gate();
    const a = order.run("lab-1", () => first.promise);
    let otherRan = false;
    const b = order.run("gp-1", async () => {
      otherRan = true;
    });
    await b;
    await settle();
    expect(otherRan).toBe(true);
    expect(order.keys).toBe(1);
    first.open();
    await a;
    await settle();
    expect(order.keys).toBe(0);
  });

  // Catches: a failed task (Redis away: the bus naks it for redelivery) blocking its key for good — every later
  // message of the sender, or envelope of the referral, stuck until the ack wait — or its failure given to another.
  it("passes a task's failure to its caller alone and goes on with the next", async () => {
    const order = new KeyedOrder();
    const first = gate();
    const a = order.run("REF-1", () => first.promise);
    const b = order.run("REF-1", async () => "b ran");
    first.fail(new Error("redis away"));
    await expect(a).rejects.toThrow("redis away");
    await expect(b).resolves.toBe("b ran");
  });

  // Catches: a task that throws before its first await (not an async function) never passing its turn.
  it("passes the turn of a task that throws at once", async () => {
    const order = new KeyedOrder();
    const a = order.run("lab-1", () => {
      throw new Error("at once");
    });
    await expect(a).rejects.toThrow("at once");
    await expect(order.run("lab-1", async () => "next ran")).resolves.toBe("next ran");
  });

  // Intake's publish window. Catches: a sender's next message held until the previous publish is acknowledged (one
  // round trip per message again), and a lane that lets the next message publish before the previous one has sent
  // its own (a correction overtaking its original on PIPELINE).
  it("lets the next task go once the previous one passes its turn, and keeps the order of what they do then", async () => {
    const order = new KeyedOrder();
    const sent: string[] = [];
    const acked: string[] = [];
    const message = (id: string) => ({ id, ready: gate(), ack: gate() });
    // As intake's handler: works (parse, claim) until released, sends its publish and passes the turn, then waits
    // for JetStream's ack.
    const handle = (m: ReturnType<typeof message>) =>
      order.run("lab-1", async (turn) => {
        await m.ready.promise;
        sent.push(m.id);
        turn.passTurn();
        await m.ack.promise;
        acked.push(m.id);
      });
    const original = message("original");
    const correction = message("correction");
    const first = handle(original);
    const second = handle(correction);
    correction.ready.open(); // the correction is ready first: it must still wait for the original to send
    await settle();
    expect(sent).toEqual([]);
    original.ready.open();
    await settle();
    // Both sent, in order, neither acknowledged yet: two publishes of one sender in flight.
    expect(sent).toEqual(["original", "correction"]);
    expect(acked).toEqual([]);
    correction.ack.open();
    await second;
    original.ack.open();
    await first;
    expect(acked).toEqual(["correction", "original"]);
    await settle();
    expect(order.keys).toBe(0);
  });

  // Catches: a task that passes its turn forgetting its key even though a later task has since become the key's last
  // (an unconditional delete in the release): the next task handed over then starts beside the one still holding
  // the turn — in intake, a correction overtaking its original on PIPELINE.
  it("keeps a key while a later task holds its turn, when an earlier one passes its own", async () => {
    const order = new KeyedOrder();
    const started: string[] = [];
    const aDone = gate();
    const bDone = gate();
    let turnA: Turn | undefined;
    let turnB: Turn | undefined;
    const a = order.run("lab-1", async (turn) => {
      started.push("a");
      turnA = turn;
      await aDone.promise;
    });
    const b = order.run("lab-1", async (turn) => {
      started.push("b");
      turnB = turn;
      await bDone.promise;
    });
    turnA?.passTurn();
    await settle();
    expect(started).toEqual(["a", "b"]);
    const c = order.run("lab-1", async () => {
      started.push("c");
    });
    await settle();
    expect(started).toEqual(["a", "b"]);
    turnB?.passTurn();
    await c;
    expect(started).toEqual(["a", "b", "c"]);
    aDone.open();
    bDone.open();
    await Promise.all([a, b]);
    await settle();
    expect(order.keys).toBe(0);
  });

  // Catches: the key let go after the turn passes rather than as it passes (in a reaction to the turn's promise):
  // intake's next message of a sender whose last message has passed its turn waits a hop it has no reason to wait.
  it("starts at once a task handed over after the key's last task passed its turn", async () => {
    const order = new KeyedOrder();
    const done = gate();
    let turnA: Turn | undefined;
    const a = order.run("lab-1", async (turn) => {
      turnA = turn;
      await done.promise;
    });
    turnA?.passTurn();
    let bStarted = false;
    const b = order.run("lab-1", async () => {
      bStarted = true;
    });
    expect(bStarted).toBe(true);
    done.open();
    await Promise.all([a, b]);
    await settle();
    expect(order.keys).toBe(0);
  });

  // Catches (review of 0113): a task naming several keys waiting only for the first (a task joining a package
  // course overtaking the package referral's forward queued under the package referral's key), or a task of
  // several keys not held up by, or not holding up, the later tasks of each.
  it("waits for the tasks before it under every key it names, and holds up the later tasks of each", async () => {
    const order = new KeyedOrder();
    const started: string[] = [];
    const pkg = gate();
    const own = gate();
    const a = order.run("referral:PKG", async () => {
      started.push("pkg");
      await pkg.promise;
    });
    const b = order.run("task:T", async () => {
      started.push("own");
      await own.promise;
    });
    const join = gate();
    const joining = order.run(["task:T", "referral:PKG", "task:T"], async () => {
      started.push("join");
      await join.promise;
    });
    const afterPkg = order.run("referral:PKG", async () => {
      started.push("after pkg");
    });
    const afterOwn = order.run(["task:T"], async () => {
      started.push("after own");
    });
    await settle();
    expect(started).toEqual(["pkg", "own"]);
    own.open();
    await b;
    await settle();
    expect(started).toEqual(["pkg", "own"]);
    pkg.open();
    await a;
    await settle();
    expect(started).toEqual(["pkg", "own", "join"]);
    join.open();
    await Promise.all([joining, afterPkg, afterOwn]);
    expect(started).toEqual(["pkg", "own", "join", "after pkg", "after own"]);
    await settle();
    expect(order.keys).toBe(0);
  });

  // Catches (0134) places kept in the order their tasks are given rather than taken: the bus consumer takes a
  // message's place as it arrives and gives the task once its claim-checked payload is fetched, so a later message
  // that needs no fetch gives its task first — and must still wait.
  it("keeps the order of places taken before their tasks are given", async () => {
    const order = new KeyedOrder();
    const started: string[] = [];
    const early = order.take("lab");
    const late = order.take("lab");
    const other = order.take("gp");
    const b = late.run(async () => {
      started.push("late");
    });
    const c = other.run(async () => {
      started.push("other");
    });
    await settle();
    // Another key's place is not held by it.
    expect(started).toEqual(["other"]);
    const a = early.run(async () => {
      started.push("early");
    });
    await Promise.all([a, b, c]);
    expect(started).toEqual(["other", "early", "late"]);
    await settle();
    expect(order.keys).toBe(0);
  });

  // Catches (0134) a place whose task is never given (its payload could not be fetched: the message is retried or
  // dead-lettered) holding its key: everything behind it would wait for the notices' bound.
  it("lets the next task go when a place is given up without a task", async () => {
    const order = new KeyedOrder();
    const failed = order.take("lab");
    let ran = false;
    const next = order.run("lab", async () => {
      ran = true;
    });
    await settle();
    expect(ran).toBe(false);
    failed.passTurn();
    await next;
    expect(ran).toBe(true);
    await settle();
    expect(order.keys).toBe(0);
  });

  // Catches (0134) a place told it waits from the moment it is taken: the work before its task is given (fetching
  // its payload) is its own, like a running task's, which is never told (the notices' bound counts the wait only).
  it("tells a place's server it waits only once its task is given", async () => {
    vi.useFakeTimers();
    try {
      const order = new KeyedOrder({ ackWaitMs: 3_000 });
      const first = order.take("REF-1");
      let notices = 0;
      const second = order.take("REF-1", () => notices++);
      vi.advanceTimersByTime(2_500);
      expect(notices).toBe(0);
      const b = second.run(async () => undefined);
      vi.advanceTimersByTime(2_500);
      expect(notices).toBe(2);
      first.passTurn();
      await b;
      vi.advanceTimersByTime(5_000);
      expect(notices).toBe(2);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  // Catches: a waiting message never telling the server it is still in hand (redelivered while it waits, handled
  // twice side by side), told so while it runs or after it is done, or told at another pace than a third of the
  // consumer's ack wait.
  it("tells a task's waiting every third of the ack wait while it waits, and stops once it runs", async () => {
    vi.useFakeTimers();
    try {
      const order = new KeyedOrder({ ackWaitMs: 3_000 });
      const first = gate();
      const a = order.run("REF-1", () => first.promise);
      let notices = 0;
      let noticesWhenStarted = -1;
      const b = order.run(
        "REF-1",
        async () => {
          noticesWhenStarted = notices;
        },
        () => notices++,
      );
      const c = order.run(
        "REF-1",
        async () => undefined,
        () => notices++,
      );
      expect(vi.getTimerCount()).toBe(1);
      vi.advanceTimersByTime(2_500);
      expect(notices).toBe(4);
      first.open();
      await Promise.all([a, b, c]);
      expect(noticesWhenStarted).toBe(4);
      vi.advanceTimersByTime(5_000);
      expect(notices).toBe(4);
      // One timer for all the waiting tasks, gone once no task waits (none left armed per task, nor for ever).
      expect(vi.getTimerCount()).toBe(0);
      // A task with nothing before it is never told to wait.
      let alone = 0;
      await order.run(
        ["REF-2", "REF-3"],
        async () => vi.advanceTimersByTime(5_000),
        () => alone++,
      );
      expect(alone).toBe(0);
      // A notice that throws (its connection closed) neither escapes the timer nor keeps the others untold.
      const third = gate();
      const f = order.run("REF-5", () => third.promise);
      let told = 0;
      const g = order.run(
        "REF-5",
        async () => undefined,
        () => {
          throw new ClosedConnectionError();
        },
      );
      const h = order.run(
        "REF-5",
        async () => undefined,
        () => told++,
      );
      expect(() => vi.advanceTimersByTime(1_000)).not.toThrow();
      expect(told).toBe(1);
      third.open();
      await Promise.all([f, g, h]);
      // At most every 5 s, whatever the ack wait.
      const slow = new KeyedOrder({ ackWaitMs: 60_000 });
      const held = gate();
      const e = slow.run("REF-4", () => held.promise);
      let waited = 0;
      const d = slow.run(
        "REF-4",
        async () => undefined,
        () => waited++,
      );
      vi.advanceTimersByTime(10_000);
      expect(waited).toBe(2);
      held.open();
      await Promise.all([e, d]);
    } finally {
      vi.useRealTimers();
    }
  });

  // Catches (review of 0120): a task waiting behind one that never settles (a hung Redis call, a stuck claim) told
  // the server for ever that it is in hand — never redelivered, so no other copy of the stage can finish it — and
  // the stuck lane not reported, or reported with its key (the tracker's keys are ids out of the messages).
  it("stops telling a waiting task's server after NOTICE_FOR_ACK_WAITS ack waits, and warns once", async () => {
    vi.useFakeTimers();
    try {
      const { logger, lines } = loggedLines();
      const order = new KeyedOrder({ ackWaitMs: 3_000, logger, stage: "lanes" });
      const stuck = gate();
      const head = order.run("lab-1", () => stuck.promise);
      const notices = [0, 0];
      const waiters = [0, 1].map((i) =>
        order.run(
          "lab-1",
          async () => undefined,
          () => {
            notices[i] = (notices[i] ?? 0) + 1;
          },
        ),
      );
      // Every second (a third of the ack wait) for three ack waits: nine notices each, then none.
      vi.advanceTimersByTime(NOTICE_FOR_ACK_WAITS * 3_000);
      expect(notices).toEqual([9, 9]);
      vi.advanceTimersByTime(60_000);
      expect(notices).toEqual([9, 9]);
      const warnings = lines.filter((line) => line.level === 40);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ stage: "lanes", waiting: 2, noticedForMs: 9_000 });
      expect(JSON.stringify(warnings)).not.toContain("lab-1");
      // The timer is gone with nobody left to tell; the tasks still run in order once the head settles.
      expect(vi.getTimerCount()).toBe(0);
      stuck.open();
      await Promise.all([head, ...waiters]);
    } finally {
      vi.useRealTimers();
    }
  });

  // Catches: every error of a notice swallowed (a bug in the wiring never seen), or reported on every tick.
  it("reports a notice's failure other than a closed or draining connection, once", async () => {
    vi.useFakeTimers();
    try {
      const { logger, lines } = loggedLines();
      const order = new KeyedOrder({ ackWaitMs: 3_000, logger, stage: "lanes" });
      const held = gate();
      const head = order.run("gp-1", () => held.promise);
      const closed = order.run(
        "gp-1",
        async () => undefined,
        () => {
          throw new ClosedConnectionError();
        },
      );
      const broken = order.run(
        "gp-1",
        async () => undefined,
        () => {
          throw new TypeError("not a function");
        },
      );
      expect(() => vi.advanceTimersByTime(3_000)).not.toThrow();
      const errors = lines.filter((line) => line.level === 50);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ stage: "lanes", err: { name: "TypeError", message: "not a function" } });
      held.open();
      await Promise.all([head, closed, broken]);
    } finally {
      vi.useRealTimers();
    }
  });
});
