import { useEffect, useState } from "preact/hooks";
import { ApiError, api, type SessionInfo } from "./api.ts";

/**
 * Sign-in with an operator's registry token (the same token the query API takes as a bearer token), or with the
 * site's identity provider (OpenID Connect) when the console is set up for one.
 */
export function SignIn(props: { onSignedIn: (session: SessionInfo) => void }) {
  const [token, setToken] = useState("");
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const [oidc, setOidc] = useState(false);
  useEffect(() => {
    void api<{ oidc: boolean }>("GET", "/api/sign-in").then((answer) => setOidc(answer.oidc));
  }, []);
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
      {oidc ? (
        <p>
          <a href="/api/oidc/start">Sign in with your organisation's identity provider</a>
        </p>
      ) : null}
    </main>
  );
}
