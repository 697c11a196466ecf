import type { Endpoint, StatusCounts } from "@carehub/schemas";
import { csvText } from "./csv.ts";
import type { Backlog } from "./live-flow.ts";

/** One endpoint as the console's endpoints view shows it. */
export interface EndpointOverview {
  id: string;
  name: string;
  kind: string;
  delivery: "http" | "nats";
  /** Whether webhook deliveries to it are signed (Standard Webhooks). */
  signed: boolean;
  circuit: "closed" | "open" | "half-open";
  /** Waiting on its OUTBOX consumer or delivered and not yet acknowledged there. */
  backlog: number;
  sent: number;
  /** Messages routed to it, and of those: delivered (or acknowledged), dead-lettered. */
  received: number;
  delivered: number;
  deadLettered: number;
  /** delivered / (delivered + dead-lettered), when anything was decided; null before. */
  deliverySuccessRate: number | null;
}

const DELIVERED = new Set(["delivered", "acknowledged", "negatively-acknowledged"]);

/** Each registered endpoint with its counters, backlog and circuit. Pure: the caller reads the parts. */
export function endpointOverview(
  endpoints: readonly Endpoint[],
  counts: StatusCounts,
  backlog: Backlog,
  circuits: ReadonlyMap<string, EndpointOverview["circuit"]>,
): EndpointOverview[] {
  return endpoints.map((endpoint) => {
    const rows = counts.items.filter((row) => row.endpoint === endpoint.id && row.status !== "ack-overdue");
    const sum = (role: "sender" | "receiver", status?: (s: string) => boolean) =>
      rows
        .filter((row) => row.role === role && (status === undefined || status(row.status)))
        .reduce((n, row) => n + row.count, 0);
    const delivered = sum("receiver", (s) => DELIVERED.has(s));
    const deadLettered = sum("receiver", (s) => s === "dead-lettered");
    return {
      id: endpoint.id,
      name: endpoint.name,
      kind: endpoint.kind,
      delivery: endpoint.delivery.mode,
      signed: endpoint.delivery.mode === "http" && endpoint.delivery.signing !== undefined,
      circuit: circuits.get(endpoint.id) ?? "closed",
      backlog: backlog.endpoints[endpoint.id] ?? 0,
      sent: sum("sender"),
      received: sum("receiver"),
      delivered,
      deadLettered,
      deliverySuccessRate: delivered + deadLettered === 0 ? null : delivered / (delivered + deadLettered),
    };
  });
}

/** The message counters as CSV (endpoint, role, kind, status, count), RFC 4180 with CRLF. Pure. */
export function statisticsCsv(counts: StatusCounts): string {
  const rows = [...counts.items]
    .sort(
      (a, b) =>
        a.endpoint.localeCompare(b.endpoint) ||
        a.role.localeCompare(b.role) ||
        a.kind.localeCompare(b.kind) ||
        a.status.localeCompare(b.status),
    )
    .map((row) => [row.endpoint, row.role, row.kind, row.status, String(row.count)]);
  return csvText(["endpoint", "role", "kind", "status", "count"], rows);
}
