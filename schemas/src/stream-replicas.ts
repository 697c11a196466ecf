import { z } from "zod";

/**
 * The classes of stream a hub keeps, one stream each (docs/contracts.md "Streams"). The bus's topology names its
 * streams after these; the replicas setting is given per class.
 */
export const STREAM_CLASSES = ["ingress", "pipeline", "outbox", "events", "dlq", "inbox", "audit"] as const;
export type StreamClass = (typeof STREAM_CLASSES)[number];

/** JetStream keeps at most five copies of a stream. */
export const MAX_STREAM_REPLICAS = 5;

/** `auto`: 1 on a single server, 3 on a cluster (the bus decides from the server it is connected to). */
const ReplicaCount = z.union([z.literal("auto"), z.number().int().min(1).max(MAX_STREAM_REPLICAS)]);
export type ReplicaCount = z.infer<typeof ReplicaCount>;

/** How many copies of each stream class JetStream keeps: one count for all, and overrides per class. */
export const StreamReplicas = z
  .object({
    all: ReplicaCount.default("auto"),
    byClass: z.partialRecord(z.enum(STREAM_CLASSES), ReplicaCount).default({}),
  })
  .strict();
export type StreamReplicas = z.infer<typeof StreamReplicas>;

export const DEFAULT_STREAM_REPLICAS: StreamReplicas = Object.freeze({ all: "auto", byClass: Object.freeze({}) });

function replicaCount(text: string): ReplicaCount | undefined {
  if (text === "auto") return "auto";
  if (!/^[1-9]$/.test(text)) return undefined;
  const count = Number(text);
  return count <= MAX_STREAM_REPLICAS ? count : undefined;
}

/**
 * Reads `CAREHUB_STREAM_REPLICAS`: a count for every stream (`auto`, `1`…`5`), then `<class>=<count>` overrides,
 * comma-separated: `3`, `auto`, `3,outbox=1`, `audit=3`. Returns every problem found, or the setting.
 */
export function parseStreamReplicas(text: string): { value: StreamReplicas } | { problems: string[] } {
  const problems: string[] = [];
  let all: ReplicaCount | undefined;
  const byClass: Partial<Record<StreamClass, ReplicaCount>> = {};
  const counts = `auto or 1 to ${MAX_STREAM_REPLICAS}`;
  for (const item of text.split(",").map((part) => part.trim())) {
    const [name, count, ...rest] = item.split("=").map((part) => part.trim());
    if (count === undefined) {
      const value = replicaCount(name ?? "");
      if (value === undefined) problems.push(`${JSON.stringify(item)} is not a replica count (${counts})`);
      else if (all !== undefined) problems.push("more than one count for every stream");
      else all = value;
      continue;
    }
    const streamClass = STREAM_CLASSES.find((c) => c === name);
    const value = rest.length === 0 ? replicaCount(count) : undefined;
    if (streamClass === undefined) {
      problems.push(`unknown stream class ${JSON.stringify(name)} (one of ${STREAM_CLASSES.join(", ")})`);
    } else if (value === undefined) {
      problems.push(
        `${streamClass}: ${JSON.stringify(item.slice(item.indexOf("=") + 1))} is not a replica count (${counts})`,
      );
    } else if (byClass[streamClass] !== undefined) {
      problems.push(`${streamClass} is given more than once`);
    } else {
      byClass[streamClass] = value;
    }
  }
  return problems.length > 0 ? { problems } : { value: { all: all ?? "auto", byClass } };
}
