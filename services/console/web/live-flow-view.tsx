import { useEffect, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
// The server's own types (type-only imports: nothing of the server goes into the web bundle).
import type { FlowSecond } from "../src/flow-counter.ts";
import type { Backlog } from "../src/live-flow.ts";
import { api } from "./api.ts";
import { CountTable } from "./count-table.tsx";

const SERIES = [
  { key: "received", label: "Received", stroke: "#1f5fa8" },
  { key: "delivered", label: "Delivered", stroke: "#1b7a3a" },
  { key: "rejected", label: "Rejected", stroke: "#a8321f" },
  { key: "deadLettered", label: "Dead-lettered", stroke: "#6b2fa0" },
  { key: "ackOverdue", label: "Ack overdue", stroke: "#8a5a00" },
] as const;

function sumBy(seconds: FlowSecond[], pick: (s: FlowSecond) => Record<string, number>): Array<[string, number]> {
  const totals = new Map<string, number>();
  for (const second of seconds) {
    for (const [key, n] of Object.entries(pick(second))) totals.set(key, (totals.get(key) ?? 0) + n);
  }
  return [...totals].sort((a, b) => b[1] - a[1]);
}

function chartData(series: FlowSecond[]): uPlot.AlignedData {
  return [series.map((s) => s.t), ...SERIES.map(({ key }) => series.map((s) => s[key]))];
}

/** Messages per second, rejections, dead letters and ack-overdue, live over server-sent events, the hour as a chart. */
export function LiveFlowView() {
  const [series, setSeries] = useState<FlowSecond[]>([]);
  const [backlog, setBacklog] = useState<Backlog>({ at: 0, endpoints: {}, deadLetters: 0 });
  const [connected, setConnected] = useState(false);
  const chartBox = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);

  useEffect(() => {
    let source: EventSource | undefined;
    void api<{ series: FlowSecond[]; backlog: Backlog }>("GET", "/api/flow").then((first) => {
      setSeries(first.series);
      setBacklog(first.backlog);
      source = new EventSource("/api/flow/live");
      source.onopen = () => setConnected(true);
      source.onerror = () => setConnected(false);
      source.addEventListener("tick", (event) => {
        const { second, backlog: latest } = JSON.parse((event as MessageEvent<string>).data) as {
          second: FlowSecond;
          backlog: Backlog;
        };
        setBacklog(latest);
        setSeries((previous) => {
          const kept = previous.filter((s) => s.t !== second.t && s.t > second.t - 3600);
          return [...kept, second];
        });
      });
    });
    return () => source?.close();
  }, []);

  useEffect(() => {
    const box = chartBox.current;
    if (box === null) return;
    if (chart.current === null) {
      chart.current = new uPlot(
        {
          title: "Messages per second, last hour",
          width: Math.max(320, box.clientWidth),
          height: 260,
          series: [{}, ...SERIES.map(({ label, stroke }) => ({ label, stroke, width: 1.5 }))],
          axes: [{}, { label: "per second" }],
        },
        chartData(series),
        box,
      );
    } else {
      chart.current.setData(chartData(series));
    }
  }, [series]);
  useEffect(() => () => chart.current?.destroy(), []);

  const lastMinute = series.slice(-60);
  const total = (key: (typeof SERIES)[number]["key"]) => lastMinute.reduce((n, s) => n + s[key], 0);
  const backlogRows = Object.entries(backlog.endpoints).sort((a, b) => b[1] - a[1]);
  return (
    <section aria-labelledby="flow-title">
      <h2 id="flow-title">
        Live flow <span class="status">{connected ? "live" : "connecting…"}</span>
      </h2>
      <ul class="counters" aria-label="Last minute">
        {SERIES.map(({ key, label }) => (
          <li key={key}>
            <span class="counter-label">{label}, last minute</span>
            <output class="counter-value" data-testid={`counter-${key}`}>
              {total(key)}
            </output>
          </li>
        ))}
        <li>
          <span class="counter-label">Dead letters waiting</span>
          <output class="counter-value" data-testid="counter-dlq">
            {backlog.deadLetters}
          </output>
        </li>
      </ul>
      <div ref={chartBox} class="chart" role="img" aria-label="Chart: messages per second over the last hour" />
      <div class="tables">
        <CountTable
          countLabel="messages"
          caption="Received by kind, last minute"
          rows={sumBy(lastMinute, (s) => s.byKind)}
          unit="kind"
        />
        <CountTable
          countLabel="messages"
          caption="Received by sender, last minute"
          rows={sumBy(lastMinute, (s) => s.bySender)}
          unit="sender"
        />
        <CountTable
          countLabel="messages"
          caption="Delivered by receiver, last minute"
          rows={sumBy(lastMinute, (s) => s.byReceiver)}
          unit="receiver"
        />
        <CountTable
          countLabel="messages"
          caption="Backlog per endpoint (waiting or unacknowledged)"
          rows={backlogRows}
          unit="endpoint"
        />
      </div>
    </section>
  );
}
