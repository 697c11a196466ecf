// `carehub messages list|show` and `carehub stats`: the running hub's query API (GET /v1/…) with an operator's
// token, printed as tables (or the API's JSON with --json). The token never reaches stdout, stderr or a log.
import type { MessageLifecycle, MessagePage, MessageSummary } from "@carehub/schemas";
import { table } from "./cli-output.ts";

export interface QueryTarget {
  /** The gateway's base URL (`--url`, else CAREHUB_URL, else http://127.0.0.1:<CAREHUB_HTTP_PORT or 8080>). */
  url: string;
  /** An operator's (or endpoint's) bearer token (`--token`, else CAREHUB_TOKEN). */
  token: string;
}

export interface QueryIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  json: boolean;
}

/** The target from options and environment, or why there is none (exit 2). */
export function queryTarget(
  options: { url?: string; token?: string },
  env: Record<string, string | undefined>,
): QueryTarget | { error: string } {
  const token = options.token ?? env.CAREHUB_TOKEN;
  if (token === undefined || token === "") {
    return { error: "the query API needs an operator's token: set CAREHUB_TOKEN or pass --token" };
  }
  const url = options.url ?? env.CAREHUB_URL ?? `http://127.0.0.1:${env.CAREHUB_HTTP_PORT ?? "8080"}`;
  if (!URL.canParse(url)) return { error: "--url (or CAREHUB_URL) is not a URL" };
  return { url: url.replace(/\/+$/, ""), token };
}

/** GET a query route; a refusal is reported by status and code (the hub's bodies never echo input). */
async function get<T>(target: QueryTarget, path: string, io: QueryIo): Promise<T | undefined> {
  let response: Response;
  try {
    response = await fetch(`${target.url}${path}`, { headers: { authorization: `Bearer ${target.token}` } });
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    io.stderr.write(`carehub: cannot reach the hub at ${target.url}: ${cause}\n`);
    return undefined;
  }
  const body = (await response.json().catch(() => ({}))) as { code?: string; message?: string };
  if (!response.ok) {
    io.stderr.write(`carehub: the hub answered ${response.status} ${body.code ?? ""}: ${body.message ?? ""}\n`);
    return undefined;
  }
  return body as T;
}

export interface MessageFilter {
  sender?: string;
  receiver?: string;
  kind?: string;
  status?: string;
  from?: string;
  to?: string;
  limit?: number;
  cursor?: string;
}

function summaryRow(m: MessageSummary): string[] {
  const receivers = m.receivers.join(",") || "-";
  return [m.hubId, m.receivedAt, m.kind ?? "-", m.sender ?? "-", receivers, m.status, m.ackOverdue ? "yes" : ""];
}

export async function runMessagesList(target: QueryTarget, filter: MessageFilter, io: QueryIo): Promise<number> {
  const query = new URLSearchParams(
    Object.entries(filter)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]): [string, string] => [key, String(value)]),
  );
  const page = await get<MessagePage>(target, `/v1/messages${query.size === 0 ? "" : `?${query}`}`, io);
  if (page === undefined) return 1;
  if (io.json) {
    for (const item of page.items) io.stdout.write(`${JSON.stringify(item)}\n`);
  } else {
    const header = ["HUB ID", "RECEIVED", "KIND", "SENDER", "RECEIVERS", "STATUS", "ACK OVERDUE"];
    io.stdout.write(`${table(header, page.items.map(summaryRow))}\n`);
  }
  if (page.nextCursor !== null) io.stderr.write(`carehub: more: --cursor ${page.nextCursor}\n`);
  return 0;
}

export async function runMessagesShow(target: QueryTarget, hubId: string, io: QueryIo): Promise<number> {
  const message = await get<MessageLifecycle>(target, `/v1/messages/${encodeURIComponent(hubId)}`, io);
  if (message === undefined) return 1;
  if (io.json) {
    io.stdout.write(`${JSON.stringify(message)}\n`);
    return 0;
  }
  const lines = [
    `hub id     ${message.hubId}`,
    `message id ${message.messageId ?? "-"}`,
    `kind       ${message.kind ?? "-"}`,
    `sender     ${message.sender ?? "-"}`,
    `trace id   ${message.traceId ?? "-"}`,
    `status     ${message.status}${message.ackOverdue ? " (ack overdue)" : ""}`,
    `received   ${message.receivedAt}`,
    "",
    table(
      ["RECEIVER", "STATUS", "ATTEMPTS", "DELIVERED", "ACKNOWLEDGED"],
      message.perReceiver.map((r) => [
        r.endpoint,
        r.status,
        String(r.attempts),
        r.deliveredAt ?? "-",
        `${r.acknowledgedAt ?? "-"}${r.ackCode === undefined ? "" : ` ${r.ackCode}`}`,
      ]),
    ),
    "",
    table(
      ["AT", "HOP", "ENDPOINT", "CODE"],
      message.hops.map((hop) => [hop.at, hop.type, hop.endpoint ?? "-", hop.code ?? "-"]),
    ),
  ];
  io.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}

export async function runStats(target: QueryTarget, io: QueryIo): Promise<number> {
  const stats = await get<{ items: Array<Record<string, unknown>> }>(target, "/v1/stats", io);
  if (stats === undefined) return 1;
  if (io.json) {
    for (const row of stats.items) io.stdout.write(`${JSON.stringify(row)}\n`);
    return 0;
  }
  const columns = [...new Set(stats.items.flatMap((row) => Object.keys(row)))];
  const cells = stats.items.map((row) =>
    columns.map((column) => {
      const value = row[column];
      return typeof value === "object" && value !== null ? JSON.stringify(value) : String(value ?? "");
    }),
  );
  io.stdout.write(
    `${table(
      columns.map((c) => c.toUpperCase()),
      cells,
    )}\n`,
  );
  return 0;
}
