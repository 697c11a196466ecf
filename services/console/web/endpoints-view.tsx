import { useEffect, useState } from "preact/hooks";
import type { EndpointOverview } from "../src/endpoint-overview.ts";
import { api } from "./api.ts";

/** Every registered endpoint: delivery, signing, circuit breaker, backlog and message counters; statistics as CSV. */
export function EndpointsView() {
  const [items, setItems] = useState<EndpointOverview[]>([]);
  useEffect(() => {
    void api<{ items: EndpointOverview[] }>("GET", "/api/endpoints").then((answer) => setItems(answer.items));
  }, []);
  const rate = (r: number | null) => (r === null ? "—" : `${(r * 100).toFixed(1)} %`);
  return (
    <section aria-labelledby="endpoints-title">
      <h2 id="endpoints-title">Endpoints</h2>
      <p>
        <a href="/api/statistics.csv" download="carehub-statistics.csv">
          Export message statistics as CSV
        </a>{" "}
        (per endpoint, sender or receiver, kind and status)
      </p>
      <table class="results">
        <caption>{items.length} endpoints in the registry</caption>
        <thead>
          <tr>
            <th scope="col">Endpoint</th>
            <th scope="col">Kind</th>
            <th scope="col">Delivery</th>
            <th scope="col">Circuit</th>
            <th scope="col">Backlog</th>
            <th scope="col">Sent</th>
            <th scope="col">Received</th>
            <th scope="col">Delivered</th>
            <th scope="col">Dead-lettered</th>
            <th scope="col">Delivery success</th>
          </tr>
        </thead>
        <tbody>
          {items.map((e) => (
            <tr key={e.id}>
              <th scope="row">
                {e.id}
                <br />
                <small>{e.name}</small>
              </th>
              <td>{e.kind}</td>
              <td>
                {e.delivery}
                {e.delivery === "http" ? (e.signed ? ", signed" : ", not signed") : ""}
              </td>
              <td data-testid={`circuit-${e.id}`}>{e.circuit}</td>
              <td>{e.backlog}</td>
              <td>{e.sent}</td>
              <td>{e.received}</td>
              <td data-testid={`delivered-${e.id}`}>{e.delivered}</td>
              <td>{e.deadLettered}</td>
              <td>{rate(e.deliverySuccessRate)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
