import type { MessageLifecycle, MessagePage } from "@carehub/schemas";
import { useEffect, useState } from "preact/hooks";
import { ApiError, api, type SessionInfo, type Vocabulary } from "./api.ts";
import { MessageDetail } from "./message-detail.tsx";
import { RerunPanel } from "./rerun-panel.tsx";

const FIELDS = ["hubId", "messageId", "sender", "receiver", "kind", "status", "from", "to", "patient"] as const;
type Field = (typeof FIELDS)[number];

/** The message browser: a search by any key, the matches, and one message's timeline and payload. */
export function MessagesView(props: { session: SessionInfo; onSignedOut: () => void }) {
  const [vocabulary, setVocabulary] = useState<Vocabulary>({ endpoints: [], kinds: [], statuses: [] });
  const [form, setForm] = useState<Partial<Record<Field, string>>>({});
  const [page, setPage] = useState<MessagePage | undefined>(undefined);
  const [selected, setSelected] = useState<MessageLifecycle | undefined>(undefined);
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const [searched, setSearched] = useState<Record<string, string>>({});
  const [picked, setPicked] = useState<ReadonlySet<string>>(new Set());
  const mayRerun = props.session.permissions.includes("rerun");
  const toggle = (hubId: string) => {
    const next = new Set(picked);
    if (next.has(hubId)) next.delete(hubId);
    else next.add(hubId);
    setPicked(next);
  };
  const maySearchPatient = props.session.permissions.includes("search-patient");
  useEffect(() => {
    void api<Vocabulary>("GET", "/api/vocabulary").then(setVocabulary);
  }, []);

  const failed = (error: unknown) => {
    if (error instanceof ApiError && error.status === 401) props.onSignedOut();
    setProblem(error instanceof ApiError ? `${error.message} (${error.code})` : "the search failed");
  };
  const search = async (event: Event) => {
    event.preventDefault();
    setProblem(undefined);
    setSelected(undefined);
    const body: Record<string, string> = {};
    for (const field of FIELDS) {
      const value = form[field]?.trim();
      if (value === undefined || value === "") continue;
      // datetime-local has no zone: the browser's own.
      body[field] = field === "from" || field === "to" ? new Date(value).toISOString() : value;
    }
    try {
      setPage(await api<MessagePage>("POST", "/api/messages/search", body));
      setSearched(body);
      setPicked(new Set());
    } catch (error) {
      failed(error);
    }
  };
  const open = async (hubId: string) => {
    setProblem(undefined);
    try {
      setSelected(await api<MessageLifecycle>("GET", `/api/messages/${encodeURIComponent(hubId)}`));
    } catch (error) {
      failed(error);
    }
  };
  const set = (field: Field) => (event: Event) =>
    setForm({ ...form, [field]: (event.currentTarget as HTMLInputElement | HTMLSelectElement).value });
  const text = (field: Field, label: string, type: "text" | "password" | "datetime-local" = "text") => (
    <div class="field">
      <label for={`f-${field}`}>{label}</label>
      {/* Preact types each input type apart; these three take the same attributes. */}
      <input
        id={`f-${field}`}
        type={type as "text"}
        step={type === "datetime-local" ? 1 : undefined}
        value={form[field] ?? ""}
        onInput={set(field)}
      />
    </div>
  );
  const choice = (field: Field, label: string, options: Array<{ id: string; name?: string }>) => (
    <div class="field">
      <label for={`f-${field}`}>{label}</label>
      <select id={`f-${field}`} value={form[field] ?? ""} onChange={set(field)}>
        <option value="">any</option>
        {options.map((o) => (
          <option key={o.id} value={o.id}>
            {o.name === undefined ? o.id : `${o.id} — ${o.name}`}
          </option>
        ))}
      </select>
    </div>
  );
  return (
    <section aria-labelledby="messages-title">
      <h2 id="messages-title">Messages</h2>
      <form class="search" aria-label="Find messages" onSubmit={(event) => void search(event)}>
        {text("hubId", "Hub id")}
        {text("messageId", "Sender's message id")}
        {choice("sender", "Sender", vocabulary.endpoints)}
        {choice("receiver", "Receiver", vocabulary.endpoints)}
        {choice(
          "kind",
          "Kind",
          vocabulary.kinds.map((id) => ({ id })),
        )}
        {choice(
          "status",
          "Status",
          vocabulary.statuses.map((id) => ({ id })),
        )}
        {text("from", "Received from", "datetime-local")}
        {text("to", "Received until", "datetime-local")}
        {maySearchPatient ? text("patient", "Patient (CPR number)", "password") : null}
        <button type="submit">Search</button>
      </form>
      <p role="alert" class="problem">
        {problem ?? ""}
      </p>
      {page === undefined ? null : (
        <table class="results">
          <caption>
            {page.items.length} message{page.items.length === 1 ? "" : "s"}
            {page.nextCursor === null ? "" : " (more match: narrow the search)"}
          </caption>
          <thead>
            <tr>
              {mayRerun ? <th scope="col">Select</th> : null}
              <th scope="col">Hub id</th>
              <th scope="col">Received</th>
              <th scope="col">Kind</th>
              <th scope="col">Sender</th>
              <th scope="col">Receivers</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {page.items.map((item) => (
              <tr key={item.hubId}>
                {mayRerun ? (
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`Select ${item.hubId}`}
                      checked={picked.has(item.hubId)}
                      onChange={() => toggle(item.hubId)}
                    />
                  </td>
                ) : null}
                <td>
                  <button type="button" class="link" onClick={() => void open(item.hubId)}>
                    {item.hubId}
                  </button>
                </td>
                <td>{new Date(item.receivedAt).toLocaleString()}</td>
                <td>{item.kind ?? "—"}</td>
                <td>{item.sender ?? "—"}</td>
                <td>{item.receivers.join(", ")}</td>
                <td>
                  {item.status}
                  {item.ackOverdue ? " (ack overdue)" : ""}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {page === undefined || !mayRerun ? null : (
        <RerunPanel vocabulary={vocabulary} selected={[...picked]} search={searched} />
      )}
      {selected === undefined ? null : (
        <MessageDetail
          record={selected}
          mayViewPayload={props.session.permissions.includes("view-payload")}
          mayRerun={mayRerun}
          onChanged={() => void open(selected.hubId)}
        />
      )}
    </section>
  );
}
