// `carehub incidents list|open|close`: the disruption log through the running console's API (the same routes
// the web console uses), with an operator's token. The token never reaches stdout, stderr or a log.
import { CONSOLE_ENV, DEFAULT_CONSOLE_OPTIONS, type Incident } from "@carehub/console";
import type { CliCommand } from "./cli-args.ts";
import { table } from "./cli-output.ts";
import { type QueryIo, type QueryTarget, queryTarget } from "./query-commands.ts";

type IncidentsCommand = Extract<CliCommand, { command: "incidents-list" | "incidents-open" | "incidents-close" }>;

/** Where the console is: `--url`, else CAREHUB_CONSOLE_URL, else this host's console port. */
function consoleTarget(
  command: IncidentsCommand,
  env: Record<string, string | undefined>,
): QueryTarget | { error: string } {
  const port = env[CONSOLE_ENV.port] ?? String(DEFAULT_CONSOLE_OPTIONS.port);
  const url = command.url ?? env.CAREHUB_CONSOLE_URL ?? `http://127.0.0.1:${port}`;
  return queryTarget({ url, ...(command.token === undefined ? {} : { token: command.token }) }, env);
}

async function call<T>(target: QueryTarget, method: string, path: string, io: QueryIo, body?: unknown) {
  let response: Response;
  try {
    response = await fetch(`${target.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${target.token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    io.stderr.write(`carehub: cannot reach the console at ${target.url}: ${cause}\n`);
    return undefined;
  }
  const answer = (await response.json().catch(() => ({}))) as { code?: string; message?: string };
  if (!response.ok) {
    io.stderr.write(`carehub: the console answered ${response.status} ${answer.code ?? ""}: ${answer.message ?? ""}\n`);
    return undefined;
  }
  return answer as T;
}

function row(i: Incident): string[] {
  return [i.id, i.openedAt, i.closedAt ?? "open", i.cause, i.endpoints.join(",") || "-", i.note];
}

function print(incidents: Incident[], io: QueryIo): void {
  if (io.json) {
    for (const incident of incidents) io.stdout.write(`${JSON.stringify(incident)}\n`);
    return;
  }
  io.stdout.write(`${table(["ID", "OPENED", "CLOSED", "CAUSE", "ENDPOINTS", "NOTE"], incidents.map(row))}\n`);
}

/** Runs one incidents command; exit 0 done, 1 refused or failed by the console, 2 no token or URL. */
export async function runIncidentsCommand(
  command: IncidentsCommand,
  env: Record<string, string | undefined>,
  io: QueryIo,
): Promise<number> {
  const target = consoleTarget(command, env);
  if ("error" in target) {
    io.stderr.write(`carehub: ${target.error}\n`);
    return 2;
  }
  switch (command.command) {
    case "incidents-list": {
      const query = command.state === undefined ? "" : `?state=${command.state}`;
      const page = await call<{ items: Incident[] }>(target, "GET", `/api/incidents${query}`, io);
      if (page === undefined) return 1;
      print(page.items, io);
      return 0;
    }
    case "incidents-open": {
      const body = { endpoints: command.endpoints, kinds: command.kinds, note: command.note };
      const opened = await call<Incident>(target, "POST", "/api/incidents", io, body);
      if (opened === undefined) return 1;
      print([opened], io);
      return 0;
    }
    case "incidents-close": {
      const body = command.note === undefined ? {} : { note: command.note };
      const path = `/api/incidents/${encodeURIComponent(command.id)}/close`;
      const closed = await call<Incident>(target, "POST", path, io, body);
      if (closed === undefined) return 1;
      print([closed], io);
      return 0;
    }
  }
}
