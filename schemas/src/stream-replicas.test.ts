import { describe, expect, it } from "vitest";
import { ConfigError, parseHubConfig } from "./config.ts";
import { parseStreamReplicas } from "./stream-replicas.ts";

describe("CAREHUB_STREAM_REPLICAS", () => {
  it("defaults to auto for every stream class", () => {
    expect(parseHubConfig({}).streamReplicas).toEqual({ all: "auto", byClass: {} });
  });

  it("takes one count for every stream, then per-class overrides", () => {
    expect(parseHubConfig({ CAREHUB_STREAM_REPLICAS: "3" }).streamReplicas).toEqual({ all: 3, byClass: {} });
    expect(parseHubConfig({ CAREHUB_STREAM_REPLICAS: " 3, outbox=1 ,inbox = auto" }).streamReplicas).toEqual({
      all: 3,
      byClass: { outbox: 1, inbox: "auto" },
    });
    expect(parseHubConfig({ CAREHUB_STREAM_REPLICAS: "audit=5" }).streamReplicas).toEqual({
      all: "auto",
      byClass: { audit: 5 },
    });
  });

  it("accepts the parsed setting as an override (tests, the all-in-one hub)", () => {
    expect(parseHubConfig({}, { streamReplicas: { all: 1, byClass: { audit: 3 } } }).streamReplicas).toEqual({
      all: 1,
      byClass: { audit: 3 },
    });
  });

  it("reports every problem at once, naming the variable", () => {
    let failure: unknown;
    try {
      parseHubConfig({ CAREHUB_STREAM_REPLICAS: "3,0,ingres=3,audit=6,events=2,events=3,2" });
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as ConfigError).problems).toEqual([
      'CAREHUB_STREAM_REPLICAS: "0" is not a replica count (auto or 1 to 5)',
      'CAREHUB_STREAM_REPLICAS: unknown stream class "ingres" (one of ingress, pipeline, outbox, events, dlq, inbox, audit)',
      'CAREHUB_STREAM_REPLICAS: audit: "6" is not a replica count (auto or 1 to 5)',
      "CAREHUB_STREAM_REPLICAS: events is given more than once",
      "CAREHUB_STREAM_REPLICAS: more than one count for every stream",
    ]);
  });

  it("refuses a count with more than one '=' or an empty item", () => {
    expect(parseStreamReplicas("audit=3=3")).toEqual({
      problems: ['audit: "3=3" is not a replica count (auto or 1 to 5)'],
    });
    expect(parseStreamReplicas("3,")).toEqual({ problems: ['"" is not a replica count (auto or 1 to 5)'] });
  });
});
