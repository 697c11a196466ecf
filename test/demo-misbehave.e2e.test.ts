import type { ChildProcess } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { MessageLifecycle, MessagePage, StatusCounts } from "@carehub/schemas";
import { testNamespace } from "@carehub/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { type DemoProcess, startDemoProcess } from "./src/demo-process.ts";
import { cleanupHubNamespace } from "./src/namespace.ts";

// `carehub demo --misbehave` as a user runs it and stops it (the real CLI in a child process), with a 2 s ack timeout so
// ack-overdue shows within seconds (a small --ack-timeout also front-loads the misbehaviour). While the demo
// still runs, the hub's own query API, read with the operator token the demo prints, must show every failure
// path of the misbehaving endpoints: a rejected message, a retried delivery, a dead letter, a negative
// acknowledgement and an overdue acknowledgement.
const namespace = testNamespace("demomis");
// The demo may run this long; the test stops it with SIGINT (as Ctrl-C would) as soon as every path showed,
// so an idle machine finishes in seconds and a busy one (the whole suite on 2 cores) gets the time it needs.
const DURATION_S = 90;
const SEEN_DEADLINE_MS = 75_000;

let child: ChildProcess | undefined;

afterAll(async () => {
  if (child !== undefined && child.exitCode === null) child.kill("SIGTERM");
  await cleanupHubNamespace(namespace);
  rmSync(join(tmpdir(), `carehub-demo-${namespace}.log`), { force: true });
});

function runDemoProcess(args: string[]): DemoProcess {
  const demo = startDemoProcess(namespace, args);
  child = demo.child;
  return demo;
}

/** The header the demo prints once the hub and the endpoints run: API URL, operator token, misbehaving endpoints. */
interface DemoHeader {
  url: string;
  token: string;
  misbehaving: Map<string, string>;
}

function parseHeader(stdout: string): DemoHeader | undefined {
  const url = /API\s+(http:\/\/127\.0\.0\.1:\d+)\s/.exec(stdout)?.[1];
  const token = /operator token demo-operator = ([0-9a-f]{64})/.exec(stdout)?.[1];
  const misbehaving = new Map<string, string>();
  for (const match of stdout.matchAll(/^ {2}misbehave (\S+)\s+([a-z0-9-]+):/gm)) {
    misbehaving.set(match[1] ?? "", match[2] ?? "");
  }
  if (url === undefined || token === undefined || misbehaving.size === 0) return undefined;
  return { url, token, misbehaving };
}

/** What the API showed so far: for each failure path, the hubId of a message whose record proves it. */
interface Seen {
  rejected?: string;
  deadLettered?: string;
  negativelyAcknowledged?: string;
  ackOverdue?: string;
  retried?: string;
}

const PATHS: Array<keyof Seen> = ["rejected", "deadLettered", "negativelyAcknowledged", "ackOverdue", "retried"];

describe("carehub demo --misbehave", () => {
  it("shows rejects, retries, dead letters, negative acks and ack-overdue through the API while it runs", async () => {
    const demo = runDemoProcess([
      "--misbehave",
      "--ack-timeout",
      "2",
      "--rate",
      "30",
      "--seed",
      "3",
      "--duration",
      String(DURATION_S),
    ]);
    const running = () => !demo.stdout().includes("carehub demo stopped");

    let header: DemoHeader | undefined;
    const headerDeadline = Date.now() + 20_000;
    while (header === undefined && running() && Date.now() < headerDeadline) {
      await sleep(200);
      header = parseHeader(demo.stdout());
    }
    expect(header, `no header in the demo's output:\n${demo.stdout()}\n${demo.stderr()}`).toBeDefined();
    if (header === undefined) return;
    expect(demo.stdout()).toContain("ack timeout 2 s");
    const endpointFor = (type: string): string => {
      const id = header?.misbehaving.get(type);
      if (id === undefined) throw new Error(`the demo printed no ${type} endpoint`);
      return id;
    };
    const invalid = endpointFor("invalid");
    const refuse = endpointFor("refuse");
    const negative = endpointFor("negative-ack");
    const neverAck = endpointFor("never-ack");
    const down = endpointFor("down");

    const { url, token } = header;
    const get = async <T>(path: string): Promise<T> => {
      const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      expect(response.status, `GET ${path}`).toBe(200);
      return (await response.json()) as T;
    };
    const counted = (stats: StatusCounts, endpoint: string, role: "sender" | "receiver", status: string) =>
      stats.items.some((r) => r.endpoint === endpoint && r.role === role && r.status === status && r.count > 0);

    const seen: Seen = {};
    const settled = new Set<string>();
    // The first record in a listing, read in full, when the listing has one.
    const firstRecord = async (query: string): Promise<MessageLifecycle | undefined> => {
      const page = await get<MessagePage>(`/v1/messages?${query}&limit=5`);
      const hubId = page.items[0]?.hubId;
      return hubId === undefined ? undefined : get<MessageLifecycle>(`/v1/messages/${hubId}`);
    };
    const towards = (record: MessageLifecycle | undefined, endpoint: string) =>
      record?.perReceiver.find((r) => r.endpoint === endpoint);
    let pollError: unknown;
    let lastPollWhileRunning = false;
    const seenDeadline = Date.now() + SEEN_DEADLINE_MS;
    while (PATHS.some((path) => seen[path] === undefined) && running() && Date.now() < seenDeadline) {
      try {
        // The counts by endpoint, then a record from the listing that says why.
        const stats = await get<StatusCounts>("/v1/stats");
        if (seen.rejected === undefined && counted(stats, invalid, "sender", "rejected")) {
          const record = await firstRecord(`sender=${invalid}&status=rejected`);
          if ((record?.rejection?.issues.length ?? 0) > 0) seen.rejected = record?.hubId;
        }
        if (seen.deadLettered === undefined && counted(stats, refuse, "receiver", "dead-lettered")) {
          const record = await firstRecord(`receiver=${refuse}&status=dead-lettered`);
          const deadHop = record?.hops.some((h) => h.type === "dead-lettered" && h.endpoint === refuse);
          if (towards(record, refuse)?.status === "dead-lettered" && deadHop) seen.deadLettered = record?.hubId;
        }
        if (
          seen.negativelyAcknowledged === undefined &&
          counted(stats, negative, "receiver", "negatively-acknowledged")
        ) {
          const record = await firstRecord(`receiver=${negative}&status=negatively-acknowledged`);
          if (towards(record, negative)?.ackCode === "fatal-error") seen.negativelyAcknowledged = record?.hubId;
        }
        if (seen.ackOverdue === undefined && counted(stats, neverAck, "receiver", "ack-overdue")) {
          const record = await firstRecord(`receiver=${neverAck}&status=ack-overdue`);
          if (towards(record, neverAck)?.ackOverdue === true) seen.ackOverdue = record?.hubId;
        }
        if (seen.retried === undefined) seen.retried = await findRetried(get, down, settled);
        lastPollWhileRunning = running();
      } catch (error) {
        pollError = error;
        break;
      }
      await sleep(1_000);
    }
    // Every path showed, and the answer that completed the picture came while the demo still ran.
    const context = `seen ${JSON.stringify(seen)}; poll error ${String(pollError)}\nstdout:\n${demo.stdout()}\nstderr:\n${demo.stderr()}`;
    for (const path of PATHS) expect(seen[path], `${path} never showed in the API; ${context}`).toBeDefined();
    expect(lastPollWhileRunning, context).toBe(true);

    // Ctrl-C: the demo stops everything it started and exits 0.
    child?.kill("SIGINT");
    const code = await demo.exited;
    expect(code, demo.stderr()).toBe(0);
    expect(demo.stdout()).toContain("carehub demo stopped");
    // The hub's warnings (dead letters, at least) went to the log file the header named, not through the summary.
    const logFile = /^ {2}logs\s+(\S+)/m.exec(demo.stdout())?.[1];
    expect(logFile, demo.stdout()).toBeDefined();
    expect(readFileSync(logFile ?? "", "utf8")).toContain("dead-lettered");
    expect(demo.stdout()).not.toMatch(/^\{"level":/m);
  }, 150_000);
});

/**
 * A message to the endpoint that was down which failed at least once and then got through: its record
 * names more than one attempt towards that endpoint, a `delivery-failed` hop, and a status past delivery.
 */
async function findRetried(
  get: <T>(path: string) => Promise<T>,
  down: string,
  settled: Set<string>,
): Promise<string | undefined> {
  const page = await get<MessagePage>(`/v1/messages?receiver=${down}&limit=200`);
  for (const item of page.items) {
    if (settled.has(item.hubId)) continue;
    const record = await get<MessageLifecycle>(`/v1/messages/${item.hubId}`);
    const outcome = record.perReceiver.find((r) => r.endpoint === down);
    if (outcome === undefined || outcome.deliveredAt === undefined) continue;
    // Delivered at the first attempt: it will never be a retry, so it need not be read again.
    if (outcome.attempts < 2) {
      settled.add(item.hubId);
      continue;
    }
    if (!record.hops.some((h) => h.type === "delivery-failed" && h.endpoint === down)) continue;
    return record.hubId;
  }
  return undefined;
}
