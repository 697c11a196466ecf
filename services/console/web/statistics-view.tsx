import type { PeriodStats, StatPeriod } from "@carehub/store";
import { useEffect, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import { api } from "./api.ts";
import { CountTable } from "./count-table.tsx";

type Period = StatPeriod;

const COLOURS = ["#1f5fa8", "#1b7a3a", "#a8321f", "#6b2fa0", "#8a5a00", "#0b6e6e", "#5a5a5a", "#b0306a"];
const DAY_MS = 86_400_000;

const isoDay = (at: number) => new Date(at).toISOString().slice(0, 10);
/** Seconds of the start of a period label (YYYY-MM-DD, or YYYY-MM for a month), for the chart's time axis. */
const periodStart = (label: string) => Date.parse(`${label.length === 7 ? `${label}-01` : label}T00:00:00.000Z`) / 1000;

function totals<K extends string>(rows: Array<{ count: number }>, key: (row: never) => K): Array<[K, number]> {
  const out = new Map<K, number>();
  for (const row of rows) out.set(key(row as never), (out.get(key(row as never)) ?? 0) + row.count);
  return [...out].sort((a, b) => b[1] - a[1]);
}

/** Messages received per kind (counted once, at their sender) in each period: the chart's series. */
function chartData(stats: PeriodStats): { kinds: string[]; data: uPlot.AlignedData } {
  const sent = stats.messages.filter((r) => r.role === "sender");
  const kinds = [...new Set(sent.map((r) => r.kind))].sort();
  const x = stats.periods.map(periodStart);
  const series = kinds.map((kind) =>
    stats.periods.map((p) => sent.filter((r) => r.kind === kind && r.period === p).reduce((n, r) => n + r.count, 0)),
  );
  return { kinds, data: [x, ...series] };
}

/** Statistics per day, week or month: messages per kind, per sender and receiver, per analysis type; CSV. */
export function StatisticsView() {
  const [period, setPeriod] = useState<Period>("day");
  const [to, setTo] = useState(isoDay(Date.now()));
  const [from, setFrom] = useState(isoDay(Date.now() - 29 * DAY_MS));
  const [stats, setStats] = useState<PeriodStats | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const chartBox = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);

  const query = `period=${period}&from=${from}&to=${to}`;
  useEffect(() => {
    api<PeriodStats>("GET", `/api/statistics?${query}`)
      .then((answer) => {
        setStats(answer);
        setError(undefined);
      })
      .catch((e: unknown) => setError(e instanceof Error ? e.message : "the statistics could not be read"));
  }, [query]);

  useEffect(() => {
    const box = chartBox.current;
    if (box === null || stats === undefined) return;
    chart.current?.destroy();
    const { kinds, data } = chartData(stats);
    chart.current = new uPlot(
      {
        title: `Messages received per ${stats.period}, by kind`,
        width: Math.max(320, box.clientWidth),
        height: 260,
        series: [
          {},
          ...kinds.map((label, i) => ({
            label,
            stroke: COLOURS[i % COLOURS.length],
            width: 1.5,
            points: { show: true },
          })),
        ],
        axes: [{}, { label: "messages" }],
      },
      data,
      box,
    );
  }, [stats]);
  useEffect(() => () => chart.current?.destroy(), []);

  const sent = stats?.messages.filter((r) => r.role === "sender") ?? [];
  const byKind = totals(sent, (r: { kind: string }) => r.kind);
  const byEndpoint = totals(
    stats?.messages ?? [],
    (r: { endpoint: string; role: string }) => `${r.endpoint} (${r.role})`,
  );
  const byStatus = totals(sent, (r: { status: string }) => r.status);
  const byAnalysis = totals(stats?.analyses ?? [], (r: { kind: string; code: string }) => `${r.code} (${r.kind})`);
  return (
    <section aria-labelledby="statistics-title">
      <h2 id="statistics-title">Statistics</h2>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Per{" "}
          <select value={period} onChange={(e) => setPeriod((e.currentTarget as HTMLSelectElement).value as Period)}>
            <option value="day">day</option>
            <option value="week">week</option>
            <option value="month">month</option>
          </select>
        </label>
        <label>
          From <input type="date" value={from} onChange={(e) => setFrom((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <label>
          To <input type="date" value={to} onChange={(e) => setTo((e.currentTarget as HTMLInputElement).value)} />
        </label>
      </form>
      {error === undefined ? null : (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <p>
        Export as CSV:{" "}
        <a href={`/api/statistics/periods.csv?${query}&table=messages`} download>
          messages per {period}
        </a>{" "}
        ·{" "}
        <a href={`/api/statistics/periods.csv?${query}&table=analyses`} download>
          analyses per {period}
        </a>
      </p>
      <div
        ref={chartBox}
        class="chart"
        role="img"
        aria-label={`Chart: messages received per ${period} by kind, ${from} to ${to}`}
      />
      <div class="tables">
        <CountTable caption="Messages by kind" unit="kind" rows={byKind} testId="stats-kind" />
        <CountTable caption="Messages by status" unit="status" rows={byStatus} testId="stats-status" />
        <CountTable
          caption="Messages by endpoint (as sender or receiver)"
          unit="endpoint"
          rows={byEndpoint}
          testId="stats-endpoint"
        />
        <CountTable
          caption="Analyses by code (lab results, home-care observations)"
          unit="analysis"
          rows={byAnalysis}
          testId="stats-analysis"
        />
      </div>
    </section>
  );
}
