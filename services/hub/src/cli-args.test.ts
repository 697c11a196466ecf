import { describe, expect, it } from "vitest";
import { parseCliArgs } from "./cli-args.ts";

describe("parseCliArgs", () => {
  it("reads start --all and start <service>", () => {
    expect(parseCliArgs(["start", "--all"])).toEqual({
      command: "start",
      services: ["tracker", "dispatcher", "router", "intake", "gateway", "console"],
    });
    expect(parseCliArgs(["start", "gateway", "intake", "gateway"])).toEqual({
      command: "start",
      services: ["gateway", "intake"],
    });
    expect(parseCliArgs(["start"])).toMatchObject({ error: expect.stringContaining("--all") });
    expect(parseCliArgs(["start", "mailer"])).toMatchObject({
      error: expect.stringContaining("unknown service: mailer"),
    });
  });

  it("reads redrive and demo options", () => {
    expect(parseCliArgs(["redrive", "--endpoint", "practice-a", "--stage", "dispatcher", "--limit", "5"])).toEqual({
      command: "redrive",
      endpoint: "practice-a",
      stage: "dispatcher",
      limit: 5,
    });
    expect(parseCliArgs(["redrive"])).toEqual({ command: "redrive" });
    expect(parseCliArgs(["redrive", "--endpoint"])).toMatchObject({ error: "--endpoint needs a value" });
    expect(parseCliArgs(["demo", "--seed", "7", "--duration", "30", "--misbehave"])).toEqual({
      command: "demo",
      seed: 7,
      durationMs: 30_000,
      misbehave: true,
    });
    expect(parseCliArgs(["demo", "--rate", "fast"])).toMatchObject({ error: "--rate needs a non-negative number" });
    expect(parseCliArgs(["demo", "--misbehave", "--ack-timeout", "2"])).toEqual({
      command: "demo",
      misbehave: true,
      ackTimeoutSeconds: 2,
    });
    expect(parseCliArgs(["demo", "--ack-timeout", "0"])).toMatchObject({
      error: "--ack-timeout needs a whole number >= 1",
    });
    expect(parseCliArgs(["demo", "--ack-timeout", "1.5"])).toMatchObject({
      error: "--ack-timeout needs a whole number >= 1",
    });
  });

  it("reads nats-config options", () => {
    expect(parseCliArgs(["nats-config"])).toEqual({ command: "nats-config" });
    expect(parseCliArgs(["nats-config", "--namespace", "site-b", "--out", "infra/nats/carehub-auth.conf"])).toEqual({
      command: "nats-config",
      namespace: "site-b",
      out: "infra/nats/carehub-auth.conf",
    });
    expect(parseCliArgs(["nats-config", "--create-inbox-consumers"])).toEqual({
      command: "nats-config",
      createInboxConsumers: true,
    });
    expect(parseCliArgs(["nats-config", "--out"])).toMatchObject({ error: "--out needs a value" });
    expect(parseCliArgs(["nats-config", "--user", "x"])).toMatchObject({ error: "unknown option: --user" });
  });

  it("reads audit filters: since a time or a duration ago, actor, action, resource, limit", () => {
    expect(
      parseCliArgs([
        "audit",
        "--since",
        "2025-01-31T08:00:00+01:00",
        "--actor",
        "ops-alice",
        "--action",
        "referral.read",
        "--resource",
        "REF-1",
        "--limit",
        "20",
      ]),
    ).toEqual({
      command: "audit",
      since: { at: "2025-01-31T07:00:00.000Z" },
      actor: "ops-alice",
      action: "referral.read",
      resource: "REF-1",
      limit: 20,
    });
    expect(parseCliArgs(["audit"])).toEqual({ command: "audit" });
    expect(parseCliArgs(["audit", "--since", "2025-01-31"])).toEqual({
      command: "audit",
      since: { at: "2025-01-31T00:00:00.000Z" },
    });
    expect(parseCliArgs(["audit", "--since", "30d"])).toEqual({ command: "audit", since: { agoMs: 30 * 86_400_000 } });
    expect(parseCliArgs(["audit", "--since", "90m"])).toEqual({ command: "audit", since: { agoMs: 90 * 60_000 } });
    for (const bad of ["yesterday", "2025-13-01", "2025-01-31T08:00", "5y", "-1h"]) {
      expect(parseCliArgs(["audit", "--since", bad])).toMatchObject({
        error: expect.stringContaining("--since needs"),
      });
    }
    expect(parseCliArgs(["audit", "--action", "message.delete"])).toMatchObject({
      error: expect.stringContaining("--action must be one of message.read, message.list"),
    });
    expect(parseCliArgs(["audit", "--actor", "Alice Smith"])).toMatchObject({
      error: expect.stringContaining("--actor needs an operator or endpoint id"),
    });
    expect(parseCliArgs(["audit", "--limit", "0"])).toMatchObject({ error: "--limit needs a whole number >= 1" });
    expect(parseCliArgs(["audit", "--patient", "x"])).toMatchObject({ error: "unknown option: --patient" });
  });

  it("passes validate's arguments through and refuses unknown commands and options", () => {
    expect(parseCliArgs(["validate", "a.json", "dir"])).toEqual({ command: "validate", args: ["a.json", "dir"] });
    expect(parseCliArgs(["provision"])).toEqual({ command: "provision" });
    expect(parseCliArgs(["provision", "now"])).toMatchObject({ error: "provision takes no arguments" });
    expect(parseCliArgs(["launch"])).toMatchObject({ error: "unknown command: launch" });
    expect(parseCliArgs(["demo", "--fast"])).toMatchObject({ error: "unknown option: --fast" });
    expect(parseCliArgs([])).toEqual({ command: "help" });
  });

  it("suggests the nearest command, option or service for a typo", () => {
    expect(parseCliArgs(["vaildate", "x"])).toMatchObject({
      error: "unknown command: vaildate (did you mean validate?)",
    });
    expect(parseCliArgs(["redrive", "--stag", "router"])).toMatchObject({
      error: "unknown option: --stag (did you mean --stage?)",
      topic: "redrive",
    });
    expect(parseCliArgs(["rebuild", "--yse"])).toMatchObject({ error: "unknown option: --yse (did you mean --yes?)" });
    expect(parseCliArgs(["start", "gatewy"])).toMatchObject({
      error: expect.stringContaining("did you mean gateway?"),
    });
    expect(parseCliArgs(["audit", "--zzz"])).toMatchObject({ error: "unknown option: --zzz" });
  });

  it("answers --help on every command, and --version", () => {
    for (const command of ["start", "demo", "validate", "redrive", "provision", "rebuild", "audit", "nats-config"]) {
      expect(parseCliArgs([command, "--help"])).toEqual({ command: "help", topic: command });
      expect(parseCliArgs([command, "-h"])).toEqual({ command: "help", topic: command });
    }
    expect(parseCliArgs(["help", "redrive"])).toEqual({ command: "help", topic: "redrive" });
    expect(parseCliArgs(["--version"])).toEqual({ command: "version" });
    expect(parseCliArgs(["-V"])).toEqual({ command: "version" });
  });

  it("refuses a redrive stage that no consumer dead-letters, naming the valid ones", () => {
    expect(parseCliArgs(["redrive", "--stage", "bogus"])).toMatchObject({
      error: '--stage must be one of intake, router, dispatcher, tracker, tracker-status; got "bogus"',
    });
    expect(parseCliArgs(["redrive", "--stage", "tracker-status"])).toEqual({
      command: "redrive",
      stage: "tracker-status",
    });
    expect(parseCliArgs(["redrive", "--limit", "0"])).toMatchObject({ error: "--limit needs a whole number >= 1" });
  });

  it("reads --json on every command and --yes on rebuild", () => {
    expect(parseCliArgs(["redrive", "--json"])).toEqual({ command: "redrive", json: true });
    expect(parseCliArgs(["validate", "--json", "dir"])).toEqual({ command: "validate", args: ["dir"], json: true });
    expect(parseCliArgs(["rebuild"])).toEqual({ command: "rebuild" });
    expect(parseCliArgs(["rebuild", "--yes", "--json"])).toEqual({ command: "rebuild", yes: true, json: true });
    expect(parseCliArgs(["rebuild", "-y"])).toEqual({ command: "rebuild", yes: true });
    expect(parseCliArgs(["provision", "--json=1"])).toMatchObject({ error: "--json takes no value" });
  });

  it("reads the subcommands of dlq, messages and endpoints, refusing what does not belong", () => {
    expect(parseCliArgs(["dlq", "list", "--stage", "router", "--limit", "3"])).toEqual({
      command: "dlq-list",
      stage: "router",
      limit: 3,
    });
    expect(parseCliArgs(["dlq", "redrive", "--endpoint", "klamer"])).toEqual({
      command: "redrive",
      endpoint: "klamer",
    });
    expect(parseCliArgs(["dlq", "list", "--stage", "bogus"])).toMatchObject({
      error: expect.stringContaining("--stage must be one of"),
    });
    expect(parseCliArgs(["dlq"])).toMatchObject({ error: "dlq needs list or redrive" });
    expect(parseCliArgs(["messages", "list", "--kind", "referral", "--limit", "5", "--json"])).toEqual({
      command: "messages-list",
      filter: { kind: "referral", limit: 5 },
      json: true,
    });
    expect(parseCliArgs(["messages", "show", "H1", "--token", "t"])).toEqual({
      command: "messages-show",
      hubId: "H1",
      token: "t",
    });
    expect(parseCliArgs(["messages", "show"])).toMatchObject({ error: "messages show needs one hub id" });
    expect(parseCliArgs(["messages", "show", "H1", "--kind", "referral"])).toMatchObject({
      error: "messages show takes no --kind",
    });
    expect(parseCliArgs(["messages", "list", "--patient", "x"])).toMatchObject({
      error: expect.stringContaining("unknown option: --patient"),
    });
    expect(
      parseCliArgs([
        "messages",
        "tail",
        "--status",
        "delivered",
        "--receiver",
        "klamer",
        "--count",
        "2",
        "--for",
        "5m",
      ]),
    ).toEqual({
      command: "messages-tail",
      filter: { status: "delivered", receiver: "klamer" },
      count: 2,
      forMs: 300_000,
    });
    expect(parseCliArgs(["messages", "tail", "--for", "10d"])).toMatchObject({
      error: "--for needs a duration: 30s, 5m or 1h",
    });
    expect(parseCliArgs(["messages", "tail", "--cursor", "c"])).toMatchObject({
      error: "messages tail takes no --cursor",
    });
    expect(parseCliArgs(["messages", "list", "--count", "3"])).toMatchObject({
      error: "messages list takes no --count (only messages tail does)",
    });
    expect(parseCliArgs(["messages", "tial"])).toMatchObject({ error: expect.stringContaining("messages tail?") });
    expect(parseCliArgs(["endpoints", "list"])).toEqual({ command: "endpoints-list" });
    expect(parseCliArgs(["endpoints", "check"])).toEqual({ command: "endpoints-check" });
    expect(parseCliArgs(["endpoints", "check", "klamer", "--json"])).toEqual({
      command: "endpoints-check",
      endpoint: "klamer",
      json: true,
    });
    expect(parseCliArgs(["endpoints", "check", "a", "b"])).toMatchObject({
      error: "endpoints check takes at most one endpoint id",
    });
    expect(parseCliArgs(["endpoints", "chek"])).toMatchObject({
      error: "unknown endpoints command (did you mean endpoints check?)",
    });
    expect(parseCliArgs(["stats", "--url", "http://hub:8080"])).toEqual({ command: "stats", url: "http://hub:8080" });
  });

  it("reads record's selection and replay's file, refusing what they cannot use", () => {
    expect(
      parseCliArgs(["record", "--from", "2026-01-05", "--kind", "referral", "--endpoint", "gp-1", "--anonymise"]),
    ).toEqual({
      command: "record",
      from: "2026-01-05T00:00:00.000Z",
      kind: "referral",
      endpoint: "gp-1",
      anonymise: true,
    });
    expect(parseCliArgs(["record", "--to", "tomorrow"])).toMatchObject({ error: expect.stringContaining("--to") });
    expect(parseCliArgs(["record", "--limit", "0"])).toMatchObject({ error: "--limit needs a whole number >= 1" });
    expect(parseCliArgs(["replay", "day.jsonl", "--pace", "2", "--timeout", "30"])).toEqual({
      command: "replay",
      file: "day.jsonl",
      pace: 2,
      timeoutMs: 30_000,
    });
    expect(parseCliArgs(["replay"])).toMatchObject({ error: "replay needs one recording file" });
    expect(parseCliArgs(["replay", "a", "--pace", "0"])).toMatchObject({ error: "--pace needs a number > 0" });
  });
});

describe("parseCliArgs incidents", () => {
  it("reads list, open and close with their options", () => {
    expect(parseCliArgs(["incidents", "list", "--state", "open"])).toEqual({
      command: "incidents-list",
      state: "open",
    });
    expect(parseCliArgs(["incidents", "open", "--endpoints", "a, b", "--kinds", "lab-result", "--note", "n"])).toEqual({
      command: "incidents-open",
      endpoints: ["a", "b"],
      kinds: ["lab-result"],
      note: "n",
    });
    expect(parseCliArgs(["incidents", "close", "i-1", "--url", "http://c:1", "--token", "t"])).toEqual({
      command: "incidents-close",
      id: "i-1",
      url: "http://c:1",
      token: "t",
    });
  });

  it("refuses what does not fit the subcommand, with a hint", () => {
    expect(parseCliArgs(["incidents"])).toMatchObject({ error: "incidents needs list, open or close" });
    expect(parseCliArgs(["incidents", "clsoe"])).toMatchObject({
      error: expect.stringContaining("did you mean incidents close?"),
    });
    expect(parseCliArgs(["incidents", "list", "--note", "x"])).toMatchObject({
      error: "incidents list takes no --note",
    });
    expect(parseCliArgs(["incidents", "close"])).toMatchObject({ error: "incidents close needs one incident id" });
    expect(parseCliArgs(["incidents", "open", "--note", " "])).toMatchObject({ error: "incidents open needs --note" });
  });
});
