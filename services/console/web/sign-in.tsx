import { useState } from "preact/hooks";
import { ApiError, api, type SessionInfo } from "./api.ts";

/** Sign-in with an operator's registry token (the same token the query API takes as a bearer token). */
export function SignIn(props: { onSignedIn: (session: SessionInfo) => void }) {
  const [token, setToken] = useState("");
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const submit = async (event: Event) => {
    event.preventDefault();
    setProblem(undefined);
    try {
      props.onSignedIn(await api<SessionInfo>("POST", "/api/session", { token }));
    } catch (error) {
      setProblem(error instanceof ApiError ? error.message : "sign-in failed");
    }
  };
  return (
    <main class="sign-in">
      <h1>carehub console</h1>
      <form onSubmit={(event) => void submit(event)}>
        <label for="token">Operator access token</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="current-password"
          required
          value={token}
          onInput={(event) => setToken(event.currentTarget.value)}
        />
        <button type="submit">Sign in</button>
        <p role="alert" class="problem">
          {problem ?? ""}
        </p>
      </form>
    </main>
  );
}
