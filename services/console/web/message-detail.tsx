import type { MessageLifecycle } from "@carehub/schemas";
import { useState } from "preact/hooks";
import { ApiError, api } from "./api.ts";

interface Payload {
  contentType: string;
  text: string;
  size: number;
}

/** One message: what it is, where it stands at each receiver, every hop, its links and (when allowed) its payload. */
export function MessageDetail(props: {
  record: MessageLifecycle;
  mayViewPayload: boolean;
  mayRerun: boolean;
  /** Reads the record again (after a re-run). */
  onChanged: () => void;
}) {
  const { record } = props;
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const rerun = async (receiver: string) => {
    setProblem(undefined);
    setNotice(undefined);
    try {
      await api("POST", `/api/messages/${encodeURIComponent(record.hubId)}/rerun`, { receiver });
      setNotice(`Re-run to ${receiver} sent; the timeline follows it.`);
      props.onChanged();
    } catch (error) {
      setProblem(error instanceof ApiError ? `${error.message} (${error.code})` : "the re-run failed");
    }
  };
  // A re-send of a delivered message (docs/decisions/0072) asks first: the receiver gets the message a second time.
  const [resendTo, setResendTo] = useState<string | undefined>(undefined);
  const resend = async (receiver: string) => {
    setProblem(undefined);
    setNotice(undefined);
    setResendTo(undefined);
    try {
      const answer = await api<{ resent: number }>("POST", "/api/messages/rerun", {
        receiver,
        hubIds: [record.hubId],
        resend: true,
        confirm: true,
      });
      setNotice(
        answer.resent === 1
          ? `Re-sent to ${receiver}; the timeline follows it.`
          : `Not re-sent to ${receiver}: its delivered copy is no longer kept.`,
      );
      props.onChanged();
    } catch (error) {
      setProblem(error instanceof ApiError ? `${error.message} (${error.code})` : "the re-send failed");
    }
  };
  const [payload, setPayload] = useState<Payload | undefined>(undefined);
  const showPayload = async () => {
    setProblem(undefined);
    try {
      setPayload(await api<Payload>("GET", `/api/messages/${encodeURIComponent(record.hubId)}/payload`));
    } catch (error) {
      setProblem(error instanceof ApiError ? `${error.message} (${error.code})` : "the payload could not be read");
    }
  };
  const links = Object.entries(record.links).filter(([, v]) => v !== undefined && (!Array.isArray(v) || v.length > 0));
  const linkLabel: Record<string, string> = {
    inReplyTo: "Answers",
    corrects: "Corrects",
    retracts: "Retracts",
    replayOf: "Re-run of",
    replayedBy: "Re-run as",
    duplicateOf: "Repeat of",
  };
  return (
    <article class="detail" aria-labelledby="detail-title">
      <h3 id="detail-title">Message {record.hubId}</h3>
      <dl>
        <dt>Sender's message id</dt>
        <dd>{record.messageId ?? "—"}</dd>
        <dt>Kind</dt>
        <dd>{record.kind ?? "—"}</dd>
        <dt>Sender</dt>
        <dd>{record.sender ?? "—"}</dd>
        <dt>Status</dt>
        <dd data-testid="detail-status">{record.status}</dd>
        <dt>Received</dt>
        <dd>{new Date(record.receivedAt).toLocaleString()}</dd>
        <dt>Trace id</dt>
        <dd>{record.traceId ?? "—"}</dd>
        {record.deadLetter === undefined ? null : (
          <>
            <dt>Dead letter</dt>
            <dd>
              {record.deadLetter.code} at {record.deadLetter.stage}: {record.deadLetter.message}
            </dd>
          </>
        )}
        {links.map(([name, value]) => (
          <>
            <dt key={`${name}-t`}>{linkLabel[name] ?? name}</dt>
            <dd key={`${name}-d`}>{Array.isArray(value) ? value.join(", ") : String(value)}</dd>
          </>
        ))}
      </dl>
      <table>
        <caption>Per receiver</caption>
        <thead>
          <tr>
            <th scope="col">Receiver</th>
            <th scope="col">Status</th>
            <th scope="col">Attempts</th>
            <th scope="col">Acknowledgement</th>
            <th scope="col">Last error</th>
            <th scope="col">Action</th>
          </tr>
        </thead>
        <tbody>
          {record.perReceiver.map((r) => (
            <tr key={r.endpoint}>
              <th scope="row">{r.endpoint}</th>
              <td>{r.status}</td>
              <td>{r.attempts}</td>
              <td>{r.ackCode ?? (r.ackOverdue ? "overdue" : "—")}</td>
              <td>{r.lastError === undefined ? "—" : `${r.lastError.code}: ${r.lastError.message}`}</td>
              <td>
                {r.status === "dead-lettered" && props.mayRerun ? (
                  <button type="button" onClick={() => void rerun(r.endpoint)}>
                    Re-run to {r.endpoint}
                  </button>
                ) : r.deliveredAt !== undefined && props.mayRerun ? (
                  resendTo === r.endpoint ? (
                    <>
                      <button type="button" onClick={() => void resend(r.endpoint)}>
                        Confirm re-send to {r.endpoint}
                      </button>{" "}
                      <button type="button" onClick={() => setResendTo(undefined)}>
                        Cancel
                      </button>
                    </>
                  ) : (
                    <button type="button" onClick={() => setResendTo(r.endpoint)}>
                      Re-send to {r.endpoint}
                    </button>
                  )
                ) : (
                  "—"
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h4>Timeline</h4>
      <ol class="timeline" aria-label="Timeline">
        {record.hops.map((hop) => (
          <li key={hop.eventId}>
            <time dateTime={hop.at}>{new Date(hop.at).toLocaleTimeString()}</time> <strong>{hop.type}</strong>
            {hop.endpoint === undefined ? "" : ` → ${hop.endpoint}`}
            {hop.attempt === undefined ? "" : ` (attempt ${hop.attempt})`}
            {hop.code === undefined ? "" : ` ${hop.code}`}
            {hop.detail === undefined ? "" : ` — ${hop.detail}`}
          </li>
        ))}
        {record.hopsOmitted > 0 ? <li>{record.hopsOmitted} hops left out</li> : null}
      </ol>
      <button type="button" onClick={() => void showPayload()} disabled={!props.mayViewPayload}>
        {props.mayViewPayload ? "Show payload" : "Show payload (not allowed for your role)"}
      </button>
      <p role="status" data-testid="notice">
        {notice ?? ""}
      </p>
      <p role="alert" class="problem">
        {problem ?? ""}
      </p>
      {payload === undefined ? null : (
        <figure>
          <figcaption>
            Payload, {payload.contentType}, {payload.size} bytes
          </figcaption>
          <pre class="payload" data-testid="payload">
            {payload.text}
          </pre>
        </figure>
      )}
    </article>
  );
}
