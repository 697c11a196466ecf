import { describe, expect, it } from "vitest";
import { errorCodeLabel, labelValue } from "./metric-labels.ts";
import { pollMetrics } from "./metric-poller.ts";
import {
  metrics,
  metricsText,
  metricValue,
  recordAckOverdue,
  recordRejection,
  recordStatusChange,
  recordStatusRefused,
  recordStreamSize,
  recordUnmatchedStatus,
} from "./metrics.ts";

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

  it("documents every carehub family with help text", async () => {
    const text = await metricsText();
    for (const family of [
      "carehub_consumer_ack_pending",
      "carehub_consumer_redelivered",
      "carehub_consumer_oldest_unacked_seconds",
      "carehub_stream_messages",
      "carehub_stream_bytes",
      "carehub_rejections_total",
      "carehub_status_changes_total",
      "carehub_status_refused_total",
      "carehub_unmatched_statuses_total",
      "carehub_ack_overdue_total",
    ]) {
      expect(text).toMatch(new RegExp(`# HELP ${family.replace(/_total$/, "(_total)?")} \\S+`));
    }
  });

  it("counts a rejection once under each distinct code, and anything that is not a catalogue code as other", async () => {
    const before = await metricValue("carehub_rejections_total", { stage: "test-rej", code: "CAREHUB_ERR_X_ONE" });
    recordRejection("test-rej", [
      "CAREHUB_ERR_X_ONE",
      "CAREHUB_ERR_X_ONE",
      "CAREHUB_ERR_X_TWO",
      "free text 0101901234",
    ]);
    expect(await metricValue("carehub_rejections_total", { stage: "test-rej", code: "CAREHUB_ERR_X_ONE" })).toBe(
      before + 1,
    );
    expect(await metricValue("carehub_rejections_total", { stage: "test-rej", code: "CAREHUB_ERR_X_TWO" })).toBe(1);
    expect(await metricValue("carehub_rejections_total", { stage: "test-rej", code: "other" })).toBe(1);
    expect(await metricsText()).not.toContain("free text");
  });

  it("records status changes, refusals, ack-overdue and stream sizes under their labels", async () => {
    recordStatusChange("test-referral", "booked");
    recordStatusRefused("test-referral");
    recordUnmatchedStatus("test-referral");
    recordAckOverdue("test-endpoint");
    recordAckOverdue("test-endpoint");
    recordStreamSize("TEST_DLQ", { messages: 3, bytes: 1200 });
    const text = await metricsText();
    expect(text).toContain('carehub_status_changes_total{subject="test-referral",status="booked"} 1');
    expect(text).toContain('carehub_status_refused_total{subject="test-referral"} 1');
    expect(text).toContain('carehub_unmatched_statuses_total{subject="test-referral"} 1');
    expect(text).toContain('carehub_ack_overdue_total{endpoint="test-endpoint"} 2');
    expect(text).toContain('carehub_stream_messages{stream="TEST_DLQ"} 3');
    expect(text).toContain('carehub_stream_bytes{stream="TEST_DLQ"} 1200');
  });
});

describe("label guards", () => {
  it("scrub CPR numbers, cut long values and never give an empty value", () => {
    expect(labelValue("endpoint-0101901234")).toBe("endpoint-[CPR]");
    expect(labelValue("x".repeat(200))).toHaveLength(64);
    expect(labelValue("")).toBe("unknown");
    expect(errorCodeLabel("CAREHUB_ERR_ROUTE_UNKNOWN_RECEIVER")).toBe("CAREHUB_ERR_ROUTE_UNKNOWN_RECEIVER");
    expect(errorCodeLabel("MSG_INVALID_ID")).toBe("other");
    expect(errorCodeLabel("CAREHUB_ERR_X 0101901234")).toBe("other");
  });
});

describe("pollMetrics", () => {
  it("refreshes at start and on a scrape, without making the scrape wait for the refresh", async () => {
    const calls: string[] = [];
    let release: () => void = () => {};
    let refreshes = 0;
    const poller = pollMetrics(
      async () => {
        refreshes++;
        calls.push(`refresh ${refreshes} started`);
        if (refreshes === 2) await new Promise<void>((resolve) => (release = resolve));
        calls.push(`refresh ${refreshes} done`);
      },
      { name: "test", intervalMs: 3_600_000, minIntervalMs: 0 },
    );
    await poller.refresh(); // joins the refresh made at start
    expect(refreshes).toBe(1);
    await metricsText(); // starts refresh 2, which hangs until released
    calls.push("scrape answered");
    release();
    await poller.stop();
    expect(calls).toEqual([
      "refresh 1 started",
      "refresh 1 done",
      "refresh 2 started",
      "scrape answered",
      "refresh 2 done",
    ]);
  });

  it("keeps polling after a failed refresh and stops for good", async () => {
    let refreshes = 0;
    const poller = pollMetrics(
      async () => {
        refreshes++;
        if (refreshes === 1) throw new Error("server away");
      },
      { name: "test", intervalMs: 3_600_000, minIntervalMs: 0 },
    );
    await poller.refresh();
    await poller.refresh();
    expect(refreshes).toBe(2);
    await poller.stop();
    await metricsText();
    await poller.refresh();
    expect(refreshes).toBe(2);
  });
});
