/**
 * The e2e suite's plan: which scenarios, how many messages. `quick` is the CI-sized form (well under a
 * minute on an idle 2-core machine); the full form stays within about three minutes on a shared one.
 */

import type { HubScenario } from "./hub.ts";
import type { MixName } from "./messages.ts";

export interface SuiteOptions {
  quick: boolean;
  /** Offered rates for the latency runs (msg/s). */
  rates: number[];
  /** Seconds each fixed-rate run offers traffic for. */
  rateSeconds: number;
  /** Profile the hub during the webhook throughput run (node --cpu-prof). */
  profile: boolean;
  /** Also run the hub as one process per service. */
  split: boolean;
  mix: MixName;
  /** Count the commands clients send to Redis (MONITOR; costs redis-server CPU). */
  redisRequests: boolean;
  /** Copies of the all-in-one hub (scale-out), 1 by default. */
  copies: number;
}

export function parseSuiteArgs(argv: readonly string[]): SuiteOptions {
  const flag = (name: string) => argv.includes(`--${name}`);
  const value = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
  const quick = flag("quick");
  return {
    quick,
    rates: (value("rates") ?? (quick ? "100" : "100,500")).split(",").map(Number),
    rateSeconds: Number(value("rate-seconds") ?? (quick ? 2 : 5)),
    profile: flag("profile"),
    split: flag("split"),
    mix: (value("mix") ?? "mixed") as MixName,
    redisRequests: flag("redis-requests"),
    copies: Number(value("copies") ?? 1),
  };
}

export interface Plan {
  bareMessages: number;
  hub: HubScenario[];
}

export function plan(options: SuiteOptions, profilePath: string): Plan {
  const n = (full: number, quick: number) => (options.quick ? quick : full);
  const mix = options.mix;
  const hub: HubScenario[] = [
    {
      name: "all-in-one, webhook, as fast as possible",
      delivery: "webhook",
      messages: n(1_000, 150),
      mix,
      ...(options.profile ? { profilePath } : {}),
    },
    {
      name: "all-in-one, NATS ingress in, webhook out, as fast as possible",
      delivery: "webhook",
      feed: "nats",
      messages: n(1_000, 150),
      mix,
    },
    { name: "all-in-one, NATS inbox, as fast as possible", delivery: "inbox", messages: n(500, 60), mix },
    { name: "all-in-one, receivers acknowledge, as fast as possible", delivery: "acks", messages: n(400, 60), mix },
    ...options.rates.map(
      (rate): HubScenario => ({
        name: `all-in-one, webhook, ${rate} msg/s offered`,
        delivery: "webhook",
        messages: rate * options.rateSeconds,
        rate,
        mix,
      }),
    ),
    ...(options.split
      ? [
          {
            name: "one process per service, webhook, as fast as possible",
            delivery: "webhook" as const,
            messages: n(1_000, 100),
            mix,
            split: true,
          },
        ]
      : []),
  ];
  return {
    bareMessages: n(5_000, 1_000),
    hub: hub.map((scenario) => ({
      ...scenario,
      ...(options.redisRequests ? { redisRequests: true } : {}),
      ...(options.copies > 1 && !scenario.split
        ? { copies: options.copies, name: `${scenario.name}, ${options.copies} copies` }
        : {}),
    })),
  };
}
