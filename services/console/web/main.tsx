import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError, api, type SessionInfo } from "./api.ts";
import { BoardsView } from "./boards-view.tsx";
import { EndpointsView } from "./endpoints-view.tsx";
import { IncidentsView } from "./incidents-view.tsx";
import { LiveFlowView } from "./live-flow-view.tsx";
import { MessagesView } from "./messages-view.tsx";
import { SignIn } from "./sign-in.tsx";
import { StatisticsView } from "./statistics-view.tsx";

type View = "flow" | "messages" | "boards" | "endpoints" | "statistics" | "incidents";

const VIEWS: ReadonlyArray<readonly [View, string]> = [
  ["flow", "Live flow"],
  ["messages", "Messages"],
  ["boards", "Boards"],
  ["endpoints", "Endpoints"],
  ["statistics", "Statistics"],
  ["incidents", "Incidents"],
];

function App() {
  const [session, setSession] = useState<SessionInfo | null | undefined>(undefined);
  const [view, setView] = useState<View>("flow");
  useEffect(() => {
    api<SessionInfo>("GET", "/api/session")
      .then(setSession)
      .catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 401) setSession(null);
        else throw error;
      });
  }, []);
  if (session === undefined) return <p>Loading…</p>;
  if (session === null) return <SignIn onSignedIn={setSession} />;
  const signOut = async () => {
    await api("DELETE", "/api/session");
    setSession(null);
  };
  return (
    <>
      <header class="top">
        <h1>carehub console</h1>
        <nav aria-label="Views">
          {VIEWS.map(([id, label]) => (
            <button key={id} type="button" aria-current={view === id ? "page" : undefined} onClick={() => setView(id)}>
              {label}
            </button>
          ))}
        </nav>
        <p class="who">
          Signed in as <strong>{session.operator.name}</strong> (<span data-testid="role">{session.operator.role}</span>
          )
        </p>
        <button type="button" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <main>
        {view === "flow" ? <LiveFlowView /> : null}
        {view === "messages" ? <MessagesView session={session} onSignedOut={() => setSession(null)} /> : null}
        {view === "boards" ? <BoardsView /> : null}
        {view === "endpoints" ? <EndpointsView /> : null}
        {view === "statistics" ? <StatisticsView /> : null}
        {view === "incidents" ? <IncidentsView session={session} /> : null}
      </main>
    </>
  );
}

const root = document.getElementById("app");
if (root !== null) render(<App />, root);
