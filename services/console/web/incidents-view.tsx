import { useEffect, useState } from "preact/hooks";
import { ApiError, api, type SessionInfo, type Vocabulary } from "./api.ts";

/** As services/console/src/incident-store.ts keeps it. */
interface Incident {
  id: string;
  cause: "manual" | "circuit-open";
  openedAt: string;
  closedAt?: string;
  endpoints: string[];
  kinds: string[];
  note: string;
  closingNote?: string;
  openedBy: { type: string; id: string };
  closedBy?: { type: string; id: string };
}

/** The disruption log: incidents opened by hand or when an endpoint's circuit opens; list, open, close, CSV. */
export function IncidentsView(props: { session: SessionInfo }) {
  const [items, setItems] = useState<Incident[]>([]);
  const [vocabulary, setVocabulary] = useState<Vocabulary>({ endpoints: [], kinds: [], statuses: [] });
  const [endpoint, setEndpoint] = useState("");
  const [note, setNote] = useState("");
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const mayManage = props.session.permissions.includes("manage-incidents");
  const reload = () => api<{ items: Incident[] }>("GET", "/api/incidents").then((answer) => setItems(answer.items));
  useEffect(() => {
    void reload();
    void api<Vocabulary>("GET", "/api/vocabulary").then(setVocabulary);
  }, []);
  const act = async (action: () => Promise<unknown>) => {
    setProblem(undefined);
    try {
      await action();
      await reload();
    } catch (error) {
      setProblem(error instanceof ApiError ? `${error.message} (${error.code})` : "that did not work");
    }
  };
  const open = (event: Event) => {
    event.preventDefault();
    void act(async () => {
      await api("POST", "/api/incidents", { endpoints: endpoint === "" ? [] : [endpoint], note });
      setNote("");
    });
  };
  return (
    <section aria-labelledby="incidents-title">
      <h2 id="incidents-title">Incidents (disruption log)</h2>
      <p>
        <a href="/api/incidents.csv" download="carehub-incidents.csv">
          Export all as CSV
        </a>
      </p>
      {mayManage ? (
        <form class="search" aria-label="Open an incident" onSubmit={open}>
          <div class="field">
            <label for="incident-endpoint">Affected endpoint</label>
            <select id="incident-endpoint" value={endpoint} onChange={(e) => setEndpoint(e.currentTarget.value)}>
              <option value="">none in particular</option>
              {vocabulary.endpoints.map((e) => (
                <option key={e.id} value={e.id}>
                  {e.id}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="incident-note">What is disrupted</label>
            <input id="incident-note" required value={note} onInput={(e) => setNote(e.currentTarget.value)} />
          </div>
          <button type="submit">Open incident</button>
        </form>
      ) : null}
      <p role="alert" class="problem">
        {problem ?? ""}
      </p>
      <table class="results">
        <caption>
          {items.length} incident{items.length === 1 ? "" : "s"}, newest first
        </caption>
        <thead>
          <tr>
            <th scope="col">Opened</th>
            <th scope="col">Closed</th>
            <th scope="col">Cause</th>
            <th scope="col">Endpoints</th>
            <th scope="col">Note</th>
            <th scope="col">Opened by</th>
            <th scope="col">Action</th>
          </tr>
        </thead>
        <tbody>
          {items.map((incident) => (
            <tr key={incident.id}>
              <td>{new Date(incident.openedAt).toLocaleString()}</td>
              <td>{incident.closedAt === undefined ? "open" : new Date(incident.closedAt).toLocaleString()}</td>
              <td>{incident.cause}</td>
              <td>{incident.endpoints.join(", ") || "—"}</td>
              <td>
                {incident.note}
                {incident.closingNote === undefined ? "" : ` — ${incident.closingNote}`}
              </td>
              <td>{incident.openedBy.id}</td>
              <td>
                {incident.closedAt === undefined && mayManage ? (
                  <button
                    type="button"
                    aria-label={`Close incident: ${incident.note}`}
                    onClick={() => void act(() => api("POST", `/api/incidents/${incident.id}/close`, {}))}
                  >
                    Close
                  </button>
                ) : (
                  "—"
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
