/**
 * What a handler in a lane is given: `passTurn()` lets the sender's next message start. A handler that sends
 * its one ordered publish calls it right after sending (before JetStream's ack), so a sender's publishes go out
 * in INGRESS order while several are in flight; a handler that never calls it passes the turn when it ends.
 */
export interface LaneTurn {
  passTurn(): void;
}

/**
 * Runs a handler on several messages at once while each sender's messages take turns in the order they were
 * handed over (INGRESS order: the consumer hands messages over in stream order). Order matters per sender — a
 * correction or retraction follows its original from the same endpoint — and nowhere else, so different senders
 * need not wait for each other. Within a sender, the next message starts once the previous one has passed its
 * turn: once its publish to PIPELINE is sent, not acknowledged (the publish window: NATS keeps the order of one
 * connection's publishes, and JetStream stores them in that order). Each message still finishes — and its
 * INGRESS copy is acked by the bus — only after its own publish is acknowledged. A failed message passes its turn
 * as it fails, so the next one of its sender goes, as with one message at a time.
 */
export function inSenderLanes<M>(
  senderOf: (message: M) => string,
  handler: (message: M, turn: LaneTurn) => Promise<void>,
): (message: M) => Promise<void> {
  const turns = new Map<string, Promise<void>>();
  return (message) => {
    const sender = senderOf(message);
    const previous = turns.get(sender);
    let passTurn = () => {};
    const passed = new Promise<void>((resolve) => {
      passTurn = resolve;
    });
    turns.set(sender, passed);
    void passed.then(() => {
      if (turns.get(sender) === passed) turns.delete(sender);
    });
    const turn: LaneTurn = { passTurn };
    const run = previous === undefined ? handler(message, turn) : previous.then(() => handler(message, turn));
    void run.then(passTurn, passTurn);
    return run;
  };
}
