import type { CareItem } from "@carehub/schemas";
import type { CareBoard } from "@carehub/store";
import { useEffect, useState } from "preact/hooks";
import { ApiError, api, type Vocabulary } from "./api.ts";

const AGES = ["under 1 day", "1-7 days", "7-30 days", "over 30 days"] as const;
type Column = "referral" | "task" | "appointment" | "course";
const COLUMNS: ReadonlyArray<readonly [Column, string]> = [
  ["referral", "Referrals"],
  ["task", "Tasks"],
  ["appointment", "Appointments"],
  ["course", "Package courses"],
];

/** As services/console/src/board-routes.ts answers it. */
interface Lane {
  status: string;
  total: number;
  byAge: Record<(typeof AGES)[number], number>;
}
interface Board extends CareBoard {
  endpoint: string;
  columns: Record<Column, Lane[]>;
}

/** Referrals, tasks, appointments and package courses of one endpoint by status and age; a lane opens its items. */
export function BoardsView() {
  const [vocabulary, setVocabulary] = useState<Vocabulary>({ endpoints: [], kinds: [], statuses: [] });
  const [endpoint, setEndpoint] = useState("");
  const [board, setBoard] = useState<Board | undefined>(undefined);
  const [lane, setLane] = useState<{ column: Column; status: string } | undefined>(undefined);
  const [problem, setProblem] = useState<string | undefined>(undefined);
  useEffect(() => {
    void api<Vocabulary>("GET", "/api/vocabulary").then((answer) => {
      setVocabulary(answer);
      setEndpoint((current) => current || (answer.endpoints[0]?.id ?? ""));
    });
  }, []);
  useEffect(() => {
    if (endpoint === "") return;
    setLane(undefined);
    api<Board>("GET", `/api/boards?endpoint=${encodeURIComponent(endpoint)}`)
      .then((answer) => {
        setBoard(answer);
        setProblem(undefined);
      })
      .catch((error: unknown) =>
        setProblem(error instanceof ApiError ? `${error.message} (${error.code})` : "the board could not be read"),
      );
  }, [endpoint]);

  const items =
    board === undefined || lane === undefined || lane.column === "course"
      ? []
      : board.items.filter((i) => i.type === lane.column && (i.status ?? "none") === lane.status);
  const courses =
    board === undefined || lane?.column !== "course" ? [] : board.courses.filter((c) => c.state === lane.status);
  return (
    <section aria-labelledby="boards-title">
      <h2 id="boards-title">Boards</h2>
      <div class="field">
        <label for="board-endpoint">Endpoint</label>
        <select
          id="board-endpoint"
          value={endpoint}
          onChange={(e) => setEndpoint((e.currentTarget as HTMLSelectElement).value)}
        >
          {vocabulary.endpoints.map((e) => (
            <option key={e.id} value={e.id}>
              {e.id} — {e.name}
            </option>
          ))}
        </select>
      </div>
      {problem === undefined ? null : (
        <p role="alert" class="error">
          {problem}
        </p>
      )}
      {board?.truncated === true ? <p>Only the newest {board.items.length} items are shown.</p> : null}
      <div class="tables">
        {COLUMNS.map(([column, title]) => (
          <table key={column} data-testid={`board-${column}`}>
            <caption>{title}, by status and time in that status</caption>
            <thead>
              <tr>
                <th scope="col">status</th>
                {AGES.map((age) => (
                  <th scope="col" key={age}>
                    {age}
                  </th>
                ))}
                <th scope="col">total</th>
              </tr>
            </thead>
            <tbody>
              {(board?.columns[column] ?? []).length === 0 ? (
                <tr>
                  <td colSpan={AGES.length + 2}>none</td>
                </tr>
              ) : (
                (board?.columns[column] ?? []).map((l) => (
                  <tr key={l.status}>
                    <th scope="row">
                      <button
                        type="button"
                        class="link"
                        aria-pressed={lane?.column === column && lane.status === l.status}
                        onClick={() => setLane({ column, status: l.status })}
                      >
                        {l.status}
                      </button>
                    </th>
                    {AGES.map((age) => (
                      <td key={age}>{l.byAge[age]}</td>
                    ))}
                    <td>{l.total}</td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
        ))}
      </div>
      {lane === undefined ? null : (
        <section aria-labelledby="lane-title" data-testid="board-lane">
          <h3 id="lane-title">
            {lane.column}: {lane.status}
          </h3>
          {items.map((item) => (
            <ItemHistory key={`${item.type}/${item.originator}/${item.id}`} item={item} />
          ))}
          {courses.map((course) => (
            <details key={course.id} open>
              <summary>
                Course {course.id} ({course.packageName}), {course.state}
              </summary>
              {course.items.map((item) => (
                <ItemHistory key={`${item.type}/${item.originator}/${item.id}`} item={item} />
              ))}
            </details>
          ))}
        </section>
      )}
    </section>
  );
}

/** One referral, task or appointment with every status that stood, when, and the message that stated it. */
function ItemHistory(props: { item: CareItem }) {
  const { item } = props;
  return (
    <table class="results">
      <caption>
        {item.type} {item.id} from {item.originator}
        {item.performers.length > 0 ? ` to ${item.performers.join(", ")}` : ""}: {item.status ?? "none"}
      </caption>
      <thead>
        <tr>
          <th scope="col">status</th>
          <th scope="col">at</th>
          <th scope="col">stated by message (hub id)</th>
        </tr>
      </thead>
      <tbody>
        {item.changes.map((change) => (
          <tr key={`${change.status}-${change.at}`}>
            <td>{change.status}</td>
            <td>{change.at}</td>
            <td>
              <code>{change.statedBy}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
