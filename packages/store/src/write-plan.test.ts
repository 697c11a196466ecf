import type { LifecycleEvent } from "@carehub/schemas";
import { describe, expect, it } from "vitest";
import { envelope, event } from "./events.test-support.ts";
import { storeKeys } from "./keys.ts";
import { decodeMessage, encodeMessage } from "./message-codec.ts";
import { applyEnvelope, applyEvent, type MessageState } from "./message-state.ts";
import { messageTimers, type PlanContext } from "./write-plan.ts";

const T0 = 1_760_000_000_000;
const ctx: PlanContext = { keys: storeKeys("t"), ackTimeoutMs: () => 60_000, staleLimits: {} };

function fold(events: LifecycleEvent[], start?: MessageState): MessageState {
  return events.reduce<MessageState | undefined>((state, e) => applyEvent(state, e), start) as MessageState;
}

/** Routed to and delivered at `hosp-1`; `routed` carries ackRequested when given (older routers leave it out). */
function delivered(kind: "care-communication" | "lab-result" | "acknowledgement", ackRequested?: boolean) {
  const base = { messageId: "m-1", sourceEndpoint: "gp-1", kind };
  return [
    event("routed", "h", T0, {
      ...base,
      receivers: ["hosp-1"],
      ruleCopies: [],
      ...(ackRequested === undefined ? {} : { ackRequested }),
    }),
    event("delivered", "h", T0 + 10, { ...base, endpoint: "hosp-1", attempt: 1, durationMs: 1 }),
  ];
}

describe("messageTimers: an acknowledgement is awaited only when one was asked for", () => {
  it("arms a timer at delivery + the receiver's timeout when the sender asked for an acknowledgement", () => {
    expect([...messageTimers(fold(delivered("care-communication", true)), ctx)]).toEqual([
      ["a|h|hosp-1", T0 + 10 + 60_000],
    ]);
  });

  it("arms none when the routed event says no acknowledgement was asked for (OIOXML minuspositivkvitt)", () => {
    expect(messageTimers(fold(delivered("lab-result", false)), ctx).size).toBe(0);
  });

  it("arms none when only the envelope says so, whichever came first, and drops one armed before it", () => {
    const events = delivered("lab-result");
    const before = fold(events);
    expect(messageTimers(before, ctx).size).toBe(1);
    const minus = envelope("h", T0 - 5, { kind: "lab-result", ackRequested: false });
    expect(messageTimers(applyEnvelope(before, minus, {}), ctx).size).toBe(0);
    expect(messageTimers(fold(events, applyEnvelope(undefined, minus, {})), ctx).size).toBe(0);
  });

  it("arms none for an acknowledgement (acknowledgements are never acknowledged)", () => {
    expect(messageTimers(fold(delivered("acknowledgement")), ctx).size).toBe(0);
  });

  it("keeps knowing it after the record is stored and read back", () => {
    const stored = decodeMessage("h", encodeMessage(fold(delivered("lab-result", false))));
    expect(stored.ackNotRequested).toBe(true);
    expect(messageTimers(stored, ctx).size).toBe(0);
    expect(decodeMessage("h", encodeMessage(fold(delivered("lab-result", true)))).ackNotRequested).toBeUndefined();
  });
});
