import type { EndpointRegistry } from "@carehub/registry";
import { table } from "./cli-output.ts";

/** One endpoint as `carehub endpoints list` shows it: never a secret, token digest or key. */
export interface EndpointRow {
  id: string;
  name: string;
  kind: string;
  delivery: string;
  /** The webhook URL (http delivery) or the NATS inbox (nats delivery). */
  target: string | null;
  signed: boolean;
  sends: readonly string[];
  accepts: readonly string[];
}

type Endpoint = ReturnType<EndpointRegistry["endpoints"]>[number];

function rowOf(endpoint: Endpoint): EndpointRow {
  const delivery = endpoint.delivery as { mode: string; url?: string; signing?: unknown };
  return {
    id: endpoint.id,
    name: endpoint.name,
    kind: String(endpoint.kind),
    delivery: delivery.mode,
    target: delivery.url ?? null,
    signed: delivery.signing !== undefined,
    sends: endpoint.sends,
    accepts: endpoint.accepts,
  };
}

/** `carehub endpoints list`: the registry's endpoints (the file CAREHUB_REGISTRY names). */
export function printEndpoints(
  registry: EndpointRegistry,
  io: { stdout: NodeJS.WritableStream; json: boolean },
): number {
  const rows = registry.endpoints().map(rowOf);
  if (io.json) {
    for (const row of rows) io.stdout.write(`${JSON.stringify(row)}\n`);
    return 0;
  }
  const cells = rows.map((r) => [
    r.id,
    r.kind,
    r.delivery,
    r.signed ? "signed" : "-",
    `${r.sends.length} / ${r.accepts.length}`,
    r.name,
  ]);
  io.stdout.write(`${table(["ID", "KIND", "DELIVERY", "SIGNING", "SENDS / ACCEPTS", "NAME"], cells)}\n`);
  return 0;
}
