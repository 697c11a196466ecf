import { type Logger, metrics, pollMetrics, recordStreamSize } from "@carehub/observability";
import type { JetStreamManager } from "@nats-io/jetstream";
import type { Topology } from "./topology.ts";

export interface StreamMetricsOptions {
  /** How often the streams are read at least, default 15 s; each scrape of `/metrics` also reads them, at most once a second. */
  intervalMs?: number;
  /** Shortest time between two reads, default 1 s. */
  minIntervalMs?: number;
  logger?: Logger;
}

export interface RunningStreamMetrics {
  /** Reads every stream now (or joins the read in flight). Never rejects; a failure is logged. */
  refresh(): Promise<void>;
  /** Stops polling and drops this hub's stream series, so a stopped hub leaves no stale gauges behind. */
  stop(): Promise<void>;
}

export const STREAM_INFO_INTERVAL_MS = 15_000;

/**
 * Keeps `carehub_stream_messages` and `carehub_stream_bytes` current for every stream of the hub (seven,
 * AUDIT included) — the DLQ above all, where every message is one an operator must look at. One
 * `STREAM.INFO` per stream per read; a scrape never waits for them. A stream that cannot be read (not provisioned yet) keeps its last values and
 * the failure is logged once. The caller stops it before draining the bus.
 */
export function startStreamMetrics(
  bus: { jsm: JetStreamManager; topology: Topology },
  options: StreamMetricsOptions = {},
): RunningStreamMetrics {
  const streams = Object.values(bus.topology.streams);
  const poller = pollMetrics(
    async () => {
      const results = await Promise.allSettled(
        streams.map(async (stream) => {
          const { state } = await bus.jsm.streams.info(stream);
          recordStreamSize(stream, state);
        }),
      );
      const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed !== undefined) throw failed.reason;
    },
    {
      name: `streams of ${bus.topology.namespace}`,
      intervalMs: options.intervalMs ?? STREAM_INFO_INTERVAL_MS,
      ...(options.minIntervalMs === undefined ? {} : { minIntervalMs: options.minIntervalMs }),
      logger: options.logger,
    },
  );
  return {
    refresh: () => poller.refresh(),
    async stop() {
      await poller.stop();
      for (const stream of streams) {
        metrics.streamMessages.remove({ stream });
        metrics.streamBytes.remove({ stream });
      }
    },
  };
}
