import { useState } from "preact/hooks";
import { ApiError, api, type Vocabulary } from "./api.ts";

/** As services/console/src/rerun-routes.ts answers it. */
interface RerunAnswer {
  receiver: string;
  confirmed: boolean;
  matched: number;
  redriven: number;
  hubIds: string[];
}

const FILTER_FIELDS = ["sender", "kind", "status", "from", "to"] as const;

/**
 * Re-run of many: the dead letters of the selected messages, or of those the current search finds (at most
 * `max`), to ONE receiver chosen here. A preview first says what would go; only "Confirm" sends.
 */
export function RerunPanel(props: {
  vocabulary: Vocabulary;
  selected: readonly string[];
  search: Record<string, string>;
}) {
  const [receiver, setReceiver] = useState("");
  const [scope, setScope] = useState<"selected" | "search">("selected");
  const [max, setMax] = useState("50");
  const [preview, setPreview] = useState<RerunAnswer | undefined>(undefined);
  const [done, setDone] = useState<RerunAnswer | undefined>(undefined);
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const filter = Object.fromEntries(
    FILTER_FIELDS.flatMap((f) => (props.search[f] === undefined ? [] : [[f, props.search[f]]])),
  );
  const body = (confirm: boolean) =>
    scope === "selected"
      ? { receiver, hubIds: props.selected, confirm }
      : { receiver, filter, max: Number(max), confirm };
  const ask = async (confirm: boolean) => {
    setProblem(undefined);
    setDone(undefined);
    try {
      const answer = await api<RerunAnswer>("POST", "/api/messages/rerun", body(confirm));
      if (confirm) {
        setDone(answer);
        setPreview(undefined);
      } else setPreview(answer);
    } catch (error) {
      setPreview(undefined);
      setProblem(error instanceof ApiError ? `${error.message} (${error.code})` : "the re-run failed");
    }
  };
  const ready = receiver !== "" && (scope === "search" || props.selected.length > 0);
  return (
    <section aria-labelledby="rerun-title" class="rerun">
      <h3 id="rerun-title">Re-run dead letters to one receiver</h3>
      <div class="field">
        <label for="rerun-receiver">Re-run to receiver</label>
        <select
          id="rerun-receiver"
          value={receiver}
          onChange={(e) => {
            setReceiver((e.currentTarget as HTMLSelectElement).value);
            setPreview(undefined);
          }}
        >
          <option value="">choose one</option>
          {props.vocabulary.endpoints.map((e) => (
            <option key={e.id} value={e.id}>
              {e.id} — {e.name}
            </option>
          ))}
        </select>
      </div>
      <fieldset>
        <legend>Which messages</legend>
        <label>
          <input
            type="radio"
            name="rerun-scope"
            checked={scope === "selected"}
            onChange={() => {
              setScope("selected");
              setPreview(undefined);
            }}
          />{" "}
          the {props.selected.length} selected
        </label>
        <label>
          <input
            type="radio"
            name="rerun-scope"
            checked={scope === "search"}
            onChange={() => {
              setScope("search");
              setPreview(undefined);
            }}
          />{" "}
          all the search finds, at most{" "}
          <input
            type="number"
            min={1}
            max={500}
            aria-label="At most this many"
            value={max}
            onInput={(e) => setMax((e.currentTarget as HTMLInputElement).value)}
          />
        </label>
      </fieldset>
      <button type="button" disabled={!ready} onClick={() => void ask(false)}>
        Preview re-run
      </button>
      {preview === undefined ? null : (
        <div role="status" data-testid="rerun-preview">
          <p>
            {preview.matched} message{preview.matched === 1 ? "" : "s"} dead-lettered at{" "}
            <strong>{preview.receiver}</strong> will be sent to {preview.receiver} again (and to no other receiver):{" "}
            {preview.hubIds.join(", ") || "none"}
          </p>
          <button type="button" disabled={preview.matched === 0} onClick={() => void ask(true)}>
            Confirm re-run of {preview.matched} to {preview.receiver}
          </button>
        </div>
      )}
      {done === undefined ? null : (
        <p role="status" data-testid="rerun-done">
          Re-run {done.redriven} to {done.receiver}: {done.hubIds.join(", ")}
        </p>
      )}
      <p role="alert" class="problem">
        {problem ?? ""}
      </p>
    </section>
  );
}
