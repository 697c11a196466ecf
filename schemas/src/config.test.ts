import { describe, expect, it } from "vitest";
import { ConfigError, parseHubConfig, parseSentinelList } from "./config.ts";

describe("CAREHUB_REDIS_SENTINELS", () => {
  it("is empty by default: REDIS_URL is the server", () => {
    const config = parseHubConfig({});
    expect(config.redisSentinels).toEqual([]);
    expect(config.redisSentinelName).toBe("carehub");
  });

  it("reads a comma-separated host:port list (spaces and a trailing comma tolerated, IPv6 in brackets)", () => {
    const config = parseHubConfig({
      CAREHUB_REDIS_SENTINELS: " s1.example:26379, 10.0.0.2:26380,[::1]:26381,",
      CAREHUB_REDIS_SENTINEL_NAME: "carehub-prod",
    });
    expect(config.redisSentinels).toEqual([
      { host: "s1.example", port: 26379 },
      { host: "10.0.0.2", port: 26380 },
      { host: "::1", port: 26381 },
    ]);
    expect(config.redisSentinelName).toBe("carehub-prod");
  });

  it("refuses an entry without a port or with one out of range, naming its position and not its text", () => {
    expect(parseSentinelList("a:1,b")).toEqual({ problem: expect.stringContaining("entry 2") });
    expect(parseSentinelList("a:65536")).toEqual({ problem: expect.stringContaining("entry 1") });
    expect(parseSentinelList("a:0")).toEqual({ problem: expect.stringContaining("entry 1") });
    try {
      parseHubConfig({ CAREHUB_REDIS_SENTINELS: "secret-host.internal" });
      expect.unreachable("a list without ports must be refused");
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems;
      expect(problems).toEqual([expect.stringMatching(/^CAREHUB_REDIS_SENTINELS: entry 1 is not host:port/)]);
      expect(problems.join()).not.toContain("secret-host");
    }
  });
});

describe("CAREHUB_PROFILE", () => {
  it("production (the default) sheds load for event-loop lag and INGRESS backlog", () => {
    const config = parseHubConfig({});
    expect(config.profile).toBe("production");
    expect(config.maxEventLoopLagMs).toBe(50);
    expect(config.maxIngressBacklog).toBe(100_000);
  });

  it("test turns both bounds off, from the environment or an override", () => {
    for (const config of [parseHubConfig({ CAREHUB_PROFILE: "test" }), parseHubConfig({}, { profile: "test" })]) {
      expect(config.maxEventLoopLagMs).toBe(0);
      expect(config.maxIngressBacklog).toBe(0);
    }
  });

  it("a setting given explicitly wins over its profile's default", () => {
    const fromEnv = parseHubConfig({ CAREHUB_PROFILE: "test", CAREHUB_MAX_INGRESS_BACKLOG: "7" });
    expect(fromEnv.maxIngressBacklog).toBe(7);
    expect(fromEnv.maxEventLoopLagMs).toBe(0);
    expect(parseHubConfig({}, { profile: "test", maxEventLoopLagMs: 50 }).maxEventLoopLagMs).toBe(50);
  });

  it("refuses a profile it does not know, naming the variable", () => {
    expect(() => parseHubConfig({ CAREHUB_PROFILE: "prod" })).toThrow(/CAREHUB_PROFILE/);
  });
});

describe("CAREHUB_OUTBOX_BY_REFERENCE", () => {
  it("is off by default, and reads true / false", () => {
    expect(parseHubConfig({}).outboxByReference).toBe(false);
    expect(parseHubConfig({ CAREHUB_OUTBOX_BY_REFERENCE: "true" }).outboxByReference).toBe(true);
    expect(parseHubConfig({ CAREHUB_OUTBOX_BY_REFERENCE: "false" }).outboxByReference).toBe(false);
    expect(() => parseHubConfig({ CAREHUB_OUTBOX_BY_REFERENCE: "maybe" })).toThrow(/CAREHUB_OUTBOX_BY_REFERENCE/);
  });

  it("refuses to start a process that also has a stream size budget", () => {
    // Catches the pair let through: the size sweep purges INGRESS copies that OUTBOX entries name.
    const refused = () => parseHubConfig({ CAREHUB_OUTBOX_BY_REFERENCE: "true", CAREHUB_STREAM_MAX_BYTES: "1000000" });
    expect(refused).toThrow(ConfigError);
    expect(refused).toThrow(/CAREHUB_OUTBOX_BY_REFERENCE: not with a size budget \(CAREHUB_STREAM_MAX_BYTES/);
    expect(parseHubConfig({ CAREHUB_STREAM_MAX_BYTES: "1000000" }).streamMaxBytes).toBe(1_000_000);
  });
});
