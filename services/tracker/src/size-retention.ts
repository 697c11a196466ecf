import { type Bus, trimStreamsToBudget } from "@carehub/bus";
import { type Logger, recordStreamOverBudget } from "@carehub/observability";
import type { ReadModelStore } from "@carehub/store";

/**
 * The tracker's part of size-based retention (CAREHUB_STREAM_MAX_BYTES, docs/decisions/0074): before each
 * read-model sweep, trim the streams to the budget (never past what their consumers processed), then raise the
 * read model's floor to the newest message purged from PIPELINE or EVENTS (the streams a rebuild replays), so
 * the sweep removes the records of the messages that left them. Undefined when no budget is set.
 */
export function sizeRetention(deps: {
  bus: Pick<Bus, "jsm" | "topology">;
  store: Pick<ReadModelStore, "raiseRetentionFloor">;
  maxBytes: number;
  logger?: Logger;
}): (() => Promise<void>) | undefined {
  if (deps.maxBytes <= 0) return undefined;
  return async () => {
    const trims = await trimStreamsToBudget(deps.bus, deps.maxBytes);
    let floor: number | undefined;
    for (const trim of trims) {
      recordStreamOverBudget(trim.stream, trim.overBudgetBytes);
      if (trim.purged > 0) {
        deps.logger?.info(
          { stream: trim.stream, purged: trim.purged, bytes: trim.bytes },
          "stream trimmed to its size budget",
        );
      }
      if (trim.overBudgetBytes > 0) {
        deps.logger?.warn(
          { stream: trim.stream, bytes: trim.bytes, overBudgetBytes: trim.overBudgetBytes, maxBytes: deps.maxBytes },
          "stream over its size budget: the rest is not processed yet (or, in the DLQ, waits for an operator)",
        );
      }
      if ((trim.role === "pipeline" || trim.role === "events") && trim.lastPurgedAt !== undefined) {
        floor = Math.max(floor ?? 0, trim.lastPurgedAt);
      }
    }
    if (floor !== undefined) await deps.store.raiseRetentionFloor(floor);
  };
}
