import type { Endpoint } from "@carehub/schemas";
import { describe, expect, it } from "vitest";
import { endpointOverview, statisticsCsv } from "./endpoint-overview.ts";

const endpoint = (id: string): Endpoint =>
  ({ id, name: id, kind: "practice", delivery: { mode: "nats" } }) as unknown as Endpoint;

describe("endpointOverview", () => {
  it("counts what an endpoint sent and received, and its delivery success over what was decided", () => {
    const counts = {
      items: [
        { endpoint: "gp", role: "sender" as const, kind: "referral", status: "delivered" as const, count: 4 },
        { endpoint: "gp", role: "receiver" as const, kind: "lab-result", status: "acknowledged" as const, count: 6 },
        { endpoint: "gp", role: "receiver" as const, kind: "lab-result", status: "dead-lettered" as const, count: 2 },
        { endpoint: "gp", role: "receiver" as const, kind: "lab-result", status: "routed" as const, count: 1 },
        // ack-overdue is a view of delivered messages, not more messages.
        { endpoint: "gp", role: "receiver" as const, kind: "lab-result", status: "ack-overdue" as const, count: 3 },
      ],
    };
    const [gp, idle] = endpointOverview(
      [endpoint("gp"), endpoint("idle")],
      counts,
      { at: 0, endpoints: { gp: 7 }, deadLetters: 2 },
      new Map([["gp", "open" as const]]),
    );
    expect(gp).toMatchObject({ sent: 4, received: 9, delivered: 6, deadLettered: 2, backlog: 7, circuit: "open" });
    expect(gp?.deliverySuccessRate).toBe(0.75);
    expect(idle).toMatchObject({ sent: 0, received: 0, backlog: 0, circuit: "closed", deliverySuccessRate: null });
  });

  it("writes the counters as CSV, sorted", () => {
    const csv = statisticsCsv({
      items: [
        { endpoint: "b", role: "sender", kind: "referral", status: "delivered", count: 2 },
        { endpoint: "a", role: "receiver", kind: "referral", status: "delivered", count: 1 },
      ],
    });
    expect(csv).toBe(
      "endpoint,role,kind,status,count\r\na,receiver,referral,delivered,1\r\nb,sender,referral,delivered,2\r\n",
    );
  });
});
