import { EndpointRegistry, hashToken } from "@carehub/registry";
import { sharedRedisUrl, testNamespace } from "@carehub/testkit";
import type { FastifyInstance } from "fastify";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConsoleApp, SESSION_COOKIE } from "./console-app.ts";
import type { ConsoleAppDeps } from "./console-request.ts";
import { signInAtProvider, startTestProvider, TEST_CLIENT } from "./oidc-provider.test-support.ts";
import { oidcSignIn } from "./oidc-sign-in.ts";
import { redisSessionStore } from "./session-store.ts";
import { buildUiBundle } from "./ui-bundle.ts";

/*
 * The console's OpenID Connect routes with a real provider on loopback, real Redis for sessions and pending
 * sign-ins, and the registry deciding who may sign in and with which role. Only the sign-in routes are called:
 * the other parts of the console are not given (touching one fails the test).
 */

const namespace = testNamespace("oidc-routes");
let redis: Redis;
let app: FastifyInstance;
let consoleUrl: string;
let provider: Awaited<ReturnType<typeof startTestProvider>>;
let accessRecords = 0;

const notGiven = new Proxy(
  {},
  {
    get: (_target, name) => {
      throw new Error(`the sign-in touched ${String(name)}`);
    },
  },
) as never;

beforeAll(async () => {
  redis = new Redis(sharedRedisUrl(), { maxRetriesPerRequest: 2 });
  const registry = EndpointRegistry.from({
    hub: { id: "carehub", name: "test hub", sor: "481521000016007", gln: "5790000199990" },
    endpoints: [
      {
        id: "practice-a",
        name: "Practice A",
        kind: "practice",
        identifiers: { sor: ["52581000016005"], gln: ["5790000127092"] },
        sends: ["acknowledgement"],
        accepts: ["acknowledgement"],
        delivery: { mode: "nats" },
        auth: { tokenSha256: [hashToken("token-a")] },
      },
    ],
    operators: [{ id: "ops-alice", name: "Alice", role: "operator", tokenSha256: [hashToken("token-ops")] }],
  });
  const deps: ConsoleAppDeps = {
    registry: { current: () => registry },
    sessions: redisSessionStore(redis, { namespace, ttlSeconds: 600 }),
    audit: {
      record: async () => {
        accessRecords++;
        throw new Error("signing in is no access record");
      },
    },
    flow: notGiven,
    browser: notGiven,
    patientHash: notGiven,
    ui: await buildUiBundle(),
    sessionTtlSeconds: 600,
    secureCookies: false,
    redrive: notGiven,
    resend: notGiven,
    incidents: notGiven,
    statusCounts: notGiven,
    periodStats: notGiven,
    careBoard: notGiven,
    circuitState: notGiven,
  };
  app = await createConsoleApp(deps);
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  consoleUrl = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`;
  provider = await startTestProvider(`${consoleUrl}/api/oidc/callback`);
  // The routes read the sign-in at request time: set up once the console's URL (the redirect URI) is known.
  deps.oidc = oidcSignIn({
    issuer: provider.issuer,
    clientId: TEST_CLIENT.id,
    clientSecret: TEST_CLIENT.secret,
    redirectUrl: `${consoleUrl}/api/oidc/callback`,
    operatorClaim: "sub",
    redis,
    namespace,
  });
});

afterAll(async () => {
  await app?.close();
  await provider?.close();
  const keys = await redis.keys(`${namespace}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

/** From the console's start route through the provider back to the console's callback; its answer. */
async function signInAs(account: string): Promise<Response> {
  const start = await fetch(`${consoleUrl}/api/oidc/start`, { redirect: "manual" });
  expect(start.status).toBe(302);
  const back = await signInAtProvider(provider.issuer, new URL(start.headers.get("location") ?? ""), account);
  expect(back.origin + back.pathname).toBe(`${consoleUrl}/api/oidc/callback`);
  return fetch(back, { redirect: "manual" });
}

describe("console OpenID Connect routes", () => {
  it("offers the provider, signs a registry operator in with the registry's role, and records no access", async () => {
    expect(await (await fetch(`${consoleUrl}/api/sign-in`)).json()).toEqual({ oidc: true });
    const callback = await signInAs("ops-alice");
    expect(callback.status).toBe(302);
    expect(callback.headers.get("location")).toBe("/");
    const cookie = (callback.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    expect(cookie).toMatch(new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{43}$`));
    const session = await fetch(`${consoleUrl}/api/session`, { headers: { cookie } });
    expect(await session.json()).toMatchObject({ operator: { id: "ops-alice", role: "operator" } });
    expect(accessRecords).toBe(0);
  });

  it("refuses an identity that is no operator in the registry, and makes no session", async () => {
    // Catches the claim trusted on its own: the provider vouches for the person, the registry for the operator.
    const callback = await signInAs("someone-else");
    expect(callback.status).toBe(401);
    expect(callback.headers.get("set-cookie")).toBeNull();
    const body = await callback.text();
    expect(JSON.parse(body)).toMatchObject({ code: "CAREHUB_ERR_CONSOLE_SIGN_IN_FAILED" });
    expect(body).not.toContain("someone-else");
  });
});
