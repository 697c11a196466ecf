/**
 * Runs a handler on several messages at once while each sender's messages run one after another, in the order
 * they were handed over (INGRESS order: the consumer hands messages over in stream order). Order matters per
 * sender — a correction or retraction follows its original from the same endpoint — and nowhere else, so
 * different senders need not wait for each other. A failed message (the bus naks it) lets the next one of its
 * sender go, as with one message at a time.
 */
export function inSenderLanes<M>(
  senderOf: (message: M) => string,
  handler: (message: M) => Promise<void>,
): (message: M) => Promise<void> {
  const tails = new Map<string, Promise<void>>();
  return (message) => {
    const sender = senderOf(message);
    const previous = tails.get(sender);
    const run = previous === undefined ? handler(message) : previous.then(() => handler(message));
    const tail = run.then(settled, settled);
    tails.set(sender, tail);
    void tail.then(() => {
      if (tails.get(sender) === tail) tails.delete(sender);
    });
    return run;
  };
}

function settled(): void {}
