import { MessageKind, MessageStatus, type Operator } from "@carehub/schemas";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from "fastify";
import { z } from "zod";
import { registerBoardRoutes } from "./board-routes.ts";
import { CONSOLE_ERROR_CODES, ConsoleRequestError } from "./console-errors.ts";
import { type ConsoleAppDeps, consoleRequests, type SignedIn } from "./console-request.ts";
import { permissionsOf } from "./console-roles.ts";
import type { LiveFlow } from "./live-flow.ts";
import { registerMessageRoutes } from "./message-routes.ts";
import { registerOperationsRoutes } from "./operations-routes.ts";
import { registerRerunRoutes } from "./rerun-routes.ts";
import { registerStatisticsRoutes } from "./statistics-routes.ts";

export const SESSION_COOKIE = "carehub_console";

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;
const SignInBody = z.strictObject({ token: z.string().min(1).max(512) });

/**
 * The console's HTTP side: the web application (one HTML page, its script and styles) and its JSON API under
 * `/api/`. Every API call but signing in needs the session cookie; roles are checked here, on the server, from
 * the registry's current entry for the operator. Payload views and every search leave an access record on the
 * AUDIT stream before anything is answered (fail closed).
 */
export async function createConsoleApp(deps: ConsoleAppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...(deps.logger === undefined ? { logger: false } : { loggerInstance: deps.logger as FastifyBaseLogger }),
    // One line per request is noise; failures are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 16_384,
    // Fastify's own answer to a URL it cannot decode repeats the URL; ours is a fixed text.
    frameworkErrors: (_error, _request, reply) => {
      void (reply as FastifyReply)
        .code(400)
        .send({ code: CONSOLE_ERROR_CODES.badRequest, message: "the request is not one the console takes" });
    },
    // Live-flow streams never end by themselves: stopping the console closes them.
    forceCloseConnections: true,
  });
  const signedIn = new WeakMap<FastifyRequest, SignedIn>();

  app.addHook("onSend", async (_request, reply, payload) => {
    reply.header("x-content-type-options", "nosniff");
    reply.header("x-frame-options", "DENY");
    reply.header("referrer-policy", "no-referrer");
    reply.header(
      "content-security-policy",
      "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
    );
    return payload;
  });

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof ConsoleRequestError) {
      return reply.code(error.statusCode).send({ code: error.code, message: error.message });
    }
    const status = (error as { statusCode?: number }).statusCode;
    if (error instanceof z.ZodError || (typeof status === "number" && status >= 400 && status < 500)) {
      return reply
        .code(400)
        .send({ code: CONSOLE_ERROR_CODES.badRequest, message: "the request is not one the console takes" });
    }
    request.log.error({ err: error }, "console request failed");
    return reply.code(500).send({ code: CONSOLE_ERROR_CODES.internal, message: "the console failed; see its log" });
  });

  // Fastify's own 404 names the URL; ours does not.
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send({ code: CONSOLE_ERROR_CODES.notFound, message: "no such console page or API" }),
  );

  app.addHook("onRequest", async (request, reply) => {
    if (!request.url.startsWith("/api/")) return;
    reply.header("cache-control", "no-store");
    if (request.method === "POST" && request.url === "/api/session") return;
    // Signing in with the identity provider, and asking whether it is offered, need no session either.
    const path = request.url.split("?")[0];
    if (
      request.method === "GET" &&
      (path === "/api/sign-in" || path === "/api/oidc/start" || path === "/api/oidc/callback")
    )
      return;
    // The CLI (`carehub incidents`) calls the same API with the operator's token instead of a session.
    const bearer = BEARER.exec(request.headers.authorization ?? "")?.[1];
    if (bearer !== undefined) {
      const operator = deps.registry.current().authenticateOperator(bearer);
      if (operator === undefined)
        throw new ConsoleRequestError(401, CONSOLE_ERROR_CODES.unauthenticated, "sign in first");
      signedIn.set(request, { operator, sessionId: "", expiresAt: Date.now() });
      return;
    }
    const id = cookieValue(request.headers.cookie, SESSION_COOKIE);
    const session = id === undefined ? undefined : await deps.sessions.find(id);
    // The registry decides, now: an operator removed from it is signed out whatever the session says.
    const operator =
      session === undefined
        ? undefined
        : deps.registry
            .current()
            .operators()
            .find((o) => o.id === session.operatorId);
    if (id === undefined || session === undefined || operator === undefined) {
      throw new ConsoleRequestError(401, CONSOLE_ERROR_CODES.unauthenticated, "sign in first");
    }
    signedIn.set(request, { operator, sessionId: id, expiresAt: session.expiresAt });
  });

  const requests = consoleRequests(signedIn, deps.audit);
  const { who } = requests;

  app.post("/api/session", async (request, reply) => {
    const { token } = SignInBody.parse(request.body);
    const operator = deps.registry.current().authenticateOperator(token);
    if (operator === undefined) {
      throw new ConsoleRequestError(401, CONSOLE_ERROR_CODES.signInFailed, "that token signs in no operator");
    }
    const { id, session } = await deps.sessions.create(operator.id);
    reply.header("set-cookie", sessionCookie(id, deps.sessionTtlSeconds, deps.secureCookies));
    return describe(operator, session.expiresAt);
  });

  // OpenID Connect (docs/decisions/0068): off unless CAREHUB_CONSOLE_OIDC_ISSUER is set. The ID token's claim names a
  // registry operator, who then holds the registry's role, exactly as after a token sign-in; nothing is recorded
  // as an access record (signing in reads nothing).
  app.get("/api/sign-in", async () => ({ oidc: deps.oidc !== undefined }));
  app.get("/api/oidc/start", async (_request, reply) => {
    if (deps.oidc === undefined)
      throw new ConsoleRequestError(404, CONSOLE_ERROR_CODES.notFound, "no identity provider is set up");
    return reply.redirect((await deps.oidc.begin()).href, 302);
  });
  app.get("/api/oidc/callback", async (request, reply) => {
    if (deps.oidc === undefined)
      throw new ConsoleRequestError(404, CONSOLE_ERROR_CODES.notFound, "no identity provider is set up");
    const operatorId = await deps.oidc.complete(
      request.url.includes("?") ? request.url.slice(request.url.indexOf("?")) : "",
    );
    const operator = deps.registry
      .current()
      .operators()
      .find((o) => o.id === operatorId);
    if (operator === undefined) {
      throw new ConsoleRequestError(
        401,
        CONSOLE_ERROR_CODES.signInFailed,
        "that identity is no operator in the registry",
      );
    }
    const { id } = await deps.sessions.create(operator.id);
    reply.header("set-cookie", sessionCookie(id, deps.sessionTtlSeconds, deps.secureCookies));
    return reply.redirect("/", 302);
  });

  app.get("/api/session", async (request) => {
    const { operator, expiresAt } = who(request);
    return describe(operator, expiresAt);
  });

  app.delete("/api/session", async (request, reply) => {
    const { sessionId } = who(request);
    if (sessionId !== "") await deps.sessions.destroy(sessionId);
    reply.header("set-cookie", sessionCookie("", 0, deps.secureCookies));
    return reply.code(204).send();
  });

  // What the search form offers: the registry's endpoints, the kinds and the statuses a listing filters by.
  app.get("/api/vocabulary", async () => ({
    endpoints: deps.registry
      .current()
      .endpoints()
      .map((e) => ({ id: e.id, name: e.name })),
    kinds: MessageKind.options,
    statuses: [...MessageStatus.options, "ack-overdue"],
  }));

  app.get("/api/flow", async () => ({ series: deps.flow.series(), backlog: deps.flow.backlog() }));

  app.get("/api/flow/live", (request, reply) => streamFlow(request, reply, deps.flow));

  registerMessageRoutes(app, deps, requests);
  registerOperationsRoutes(app, deps, requests);
  registerStatisticsRoutes(app, deps);
  registerBoardRoutes(app, deps, requests);
  registerRerunRoutes(app, deps, requests);

  const page = (body: string, contentType: string) => async (_request: FastifyRequest, reply: FastifyReply) =>
    reply.header("content-type", contentType).header("cache-control", "no-cache").send(body);
  app.get("/", page(deps.ui.html, "text/html; charset=utf-8"));
  app.get("/console.js", page(deps.ui.script, "text/javascript; charset=utf-8"));
  app.get("/console.css", page(deps.ui.styles, "text/css; charset=utf-8"));
  return app;
}

function describe(operator: Operator, expiresAt: number) {
  return {
    operator: { id: operator.id, name: operator.name, role: operator.role },
    permissions: permissionsOf(operator.role),
    expiresAt: new Date(expiresAt).toISOString(),
  };
}

/** Server-sent events: one `tick` a second with the second just counted and the latest backlogs. */
function streamFlow(request: FastifyRequest, reply: FastifyReply, flow: LiveFlow): void {
  reply.hijack();
  const out = reply.raw;
  out.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-store",
    connection: "keep-alive",
    "x-content-type-options": "nosniff",
  });
  out.write("retry: 2000\n\n");
  const unsubscribe = flow.onTick((second, backlog) => {
    out.write(`event: tick\ndata: ${JSON.stringify({ second, backlog })}\n\n`);
  });
  request.raw.on("close", () => {
    unsubscribe();
    out.end();
  });
}

/** The session cookie: HttpOnly, SameSite=Strict, the whole console, `Secure` when the setting says so. */
export function sessionCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure ? "; Secure" : ""}`;
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return rest.join("=");
  }
  return undefined;
}
