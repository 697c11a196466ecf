import { describe, expect, it } from "vitest";
import { metrics, metricsText } from "./metrics.ts";

describe("metrics", () => {
  it("exposes the message counter, handle histogram and pending gauge as Prometheus text", async () => {
    metrics.messages.inc({ stage: "metrics-test", kind: "lab-result", outcome: "acked" });
    metrics.messages.inc({ stage: "metrics-test", kind: "lab-result", outcome: "acked" });
    metrics.handleSeconds.observe({ stage: "metrics-test" }, 0.02);
    metrics.consumerPending.set({ stream: "T_INGRESS", consumer: "intake" }, 7);
    const text = await metricsText();
    expect(text).toContain('carehub_messages_total{stage="metrics-test",kind="lab-result",outcome="acked"} 2');
    expect(text).toContain('carehub_handle_seconds_count{stage="metrics-test"} 1');
    expect(text).toContain('carehub_consumer_pending{stream="T_INGRESS",consumer="intake"} 7');
  });
});
