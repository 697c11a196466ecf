import { describe, expect, it } from "vitest";
import {
  type CircuitPolicy,
  type CircuitState,
  CLOSED_CIRCUIT,
  parseCircuitState,
  recordFailure,
  recordSuccess,
  requestPermit,
  serializeCircuitState,
} from "./circuit-breaker.ts";

const policy: CircuitPolicy = { failureThreshold: 3, cooldownMs: 1_000, probeLeaseMs: 500 };

function failTimes(state: CircuitState, times: number, now: number): CircuitState {
  for (let i = 0; i < times; i++) state = recordFailure(state, now, policy);
  return state;
}

describe("circuit breaker", () => {
  it("lets calls through while closed", () => {
    expect(requestPermit(CLOSED_CIRCUIT, 0, policy)).toEqual({ permitted: true, probe: false, next: CLOSED_CIRCUIT });
  });

  it("stays closed below the threshold and opens at it", () => {
    expect(failTimes(CLOSED_CIRCUIT, 2, 10)).toEqual({ state: "closed", failures: 2 });
    expect(failTimes(CLOSED_CIRCUIT, 3, 10)).toEqual({ state: "open", failures: 3, openedAt: 10 });
  });

  it("counts consecutive failures only: a success in between starts again", () => {
    let state = failTimes(CLOSED_CIRCUIT, 2, 0);
    state = recordSuccess(state);
    state = failTimes(state, 2, 0);
    expect(state.state).toBe("closed");
  });

  it("keeps every call away while open and says how long to wait", () => {
    const open = failTimes(CLOSED_CIRCUIT, 3, 100);
    expect(requestPermit(open, 100, policy)).toEqual({ permitted: false, retryInMs: 1_000 });
    expect(requestPermit(open, 850, policy)).toEqual({ permitted: false, retryInMs: 250 });
  });

  it("lets exactly one probe through after the cool-down; others wait for it", () => {
    const open = failTimes(CLOSED_CIRCUIT, 3, 0);
    const first = requestPermit(open, 1_000, policy);
    expect(first).toEqual({
      permitted: true,
      probe: true,
      next: { state: "half-open", failures: 3, openedAt: 0, probeUntil: 1_500 },
    });
    if (!first.permitted) throw new Error("unreachable");
    expect(requestPermit(first.next, 1_100, policy)).toEqual({ permitted: false, retryInMs: 400 });
  });

  it("closes when the probe succeeds", () => {
    const open = failTimes(CLOSED_CIRCUIT, 3, 0);
    const permit = requestPermit(open, 1_000, policy);
    if (!permit.permitted) throw new Error("unreachable");
    const closed = recordSuccess(permit.next);
    expect(closed).toEqual(CLOSED_CIRCUIT);
    expect(requestPermit(closed, 1_001, policy).permitted).toBe(true);
  });

  it("opens again, with a fresh cool-down, when the probe fails", () => {
    const open = failTimes(CLOSED_CIRCUIT, 3, 0);
    const permit = requestPermit(open, 1_000, policy);
    if (!permit.permitted) throw new Error("unreachable");
    const reopened = recordFailure(permit.next, 1_200, policy);
    expect(reopened).toEqual({ state: "open", failures: 4, openedAt: 1_200 });
    expect(requestPermit(reopened, 2_100, policy)).toEqual({ permitted: false, retryInMs: 100 });
  });

  it("hands the probe to another copy when the probe's owner never reports back", () => {
    const halfOpen: CircuitState = { state: "half-open", failures: 3, openedAt: 0, probeUntil: 1_500 };
    const permit = requestPermit(halfOpen, 1_500, policy);
    expect(permit).toEqual({
      permitted: true,
      probe: true,
      next: { state: "half-open", failures: 3, openedAt: 0, probeUntil: 2_000 },
    });
  });

  it("does not extend the cool-down for late failures of calls that started before it opened", () => {
    const open = failTimes(CLOSED_CIRCUIT, 3, 0);
    expect(recordFailure(open, 900, policy)).toEqual({ state: "open", failures: 4, openedAt: 0 });
  });

  it("round-trips through its stored form and reads anything unreadable as closed", () => {
    const states: CircuitState[] = [
      CLOSED_CIRCUIT,
      { state: "closed", failures: 2 },
      { state: "open", failures: 5, openedAt: 7 },
      { state: "half-open", failures: 5, openedAt: 7, probeUntil: 9 },
    ];
    for (const state of states) expect(parseCircuitState(serializeCircuitState(state))).toEqual(state);
    expect(parseCircuitState(null)).toEqual(CLOSED_CIRCUIT);
    expect(parseCircuitState("not json")).toEqual(CLOSED_CIRCUIT);
    expect(parseCircuitState('{"state":"weird"}')).toEqual(CLOSED_CIRCUIT);
  });
});
