import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { sharedRedisUrl, testNamespace } from "@carehub/testkit";
import { Redis } from "ioredis";
import Provider from "oidc-provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OidcSignIn, oidcSignIn } from "./oidc-sign-in.ts";

/*
 * OpenID Connect sign-in against a real, tiny identity provider (oidc-provider) on loopback: authorization code
 * with PKCE, state and nonce; the provider's own login and consent pages are driven over HTTP as a browser would.
 */

const REDIRECT = "http://127.0.0.1:9/api/oidc/callback"; // never called: the test reads the redirect itself
let server: Server;
let issuer: string;
let redis: Redis;

beforeAll(async () => {
  server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: "carehub-console",
        client_secret: "a-test-secret-for-the-console-client",
        redirect_uris: [REDIRECT],
        token_endpoint_auth_method: "client_secret_basic",
      },
    ],
    findAccount: async (_ctx, id) => ({ accountId: id, claims: async () => ({ sub: id }) }),
  });
  server.on("request", provider.callback());
  redis = new Redis(sharedRedisUrl(), { maxRetriesPerRequest: 2 });
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await redis.quit();
});

/** A browser's cookie jar and manual redirects, enough for the provider's pages. */
function browser() {
  const jar = new Map<string, string>();
  const go = async (url: string, init: { method?: string; form?: Record<string, string> } = {}) => {
    const response = await fetch(new URL(url, issuer), {
      method: init.method ?? "GET",
      redirect: "manual",
      headers: {
        cookie: [...jar].map(([k, v]) => `${k}=${v}`).join("; "),
        ...(init.form === undefined ? {} : { "content-type": "application/x-www-form-urlencoded" }),
      },
      ...(init.form === undefined ? {} : { body: new URLSearchParams(init.form).toString() }),
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(";");
      const [name, ...value] = (pair ?? "").split("=");
      if (name !== undefined) jar.set(name, value.join("="));
    }
    await response.arrayBuffer();
    return { status: response.status, location: response.headers.get("location") ?? "" };
  };
  return { go };
}

/** Signs `account` in at the provider from the authorization URL; answers the query of the console's callback. */
async function signInAtProvider(authorization: URL, account: string): Promise<string> {
  const { go } = browser();
  const login = await go(authorization.href);
  expect(login.location).toMatch(/^\/interaction\//);
  const afterLogin = await go(login.location, {
    method: "POST",
    form: { prompt: "login", login: account, password: "x" },
  });
  const consent = await go(afterLogin.location);
  expect(consent.location).toMatch(/^\/interaction\//);
  const afterConsent = await go(consent.location, { method: "POST", form: { prompt: "consent" } });
  const back = await go(afterConsent.location);
  expect(back.location.startsWith(REDIRECT), back.location).toBe(true);
  return new URL(back.location).search;
}

function signIn(namespace: string): OidcSignIn {
  return oidcSignIn({
    issuer,
    clientId: "carehub-console",
    clientSecret: "a-test-secret-for-the-console-client",
    redirectUrl: REDIRECT,
    operatorClaim: "sub",
    redis,
    namespace,
  });
}

describe("OpenID Connect sign-in", () => {
  it("sends the browser with PKCE (S256), state and nonce, and answers the operator the ID token names", async () => {
    const namespace = testNamespace("oidc");
    const oidc = signIn(namespace);
    const authorization = await oidc.begin();
    expect(await redis.ttl(`${namespace}:console:oidc:${authorization.searchParams.get("state")}`)).toBeGreaterThan(0);
    expect(authorization.origin).toBe(issuer);
    const params = authorization.searchParams;
    expect(params.get("code_challenge_method")).toBe("S256");
    expect(params.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get("state")).not.toBeNull();
    expect(params.get("nonce")).not.toBeNull();
    expect(params.get("redirect_uri")).toBe(REDIRECT);
    const callback = await signInAtProvider(authorization, "operator");
    expect(await oidc.complete(callback)).toBe("operator");
    // Catches a pending sign-in kept after use (a leaked callback URL replayed against it): gone after one use.
    expect(await redis.keys(`${namespace}:console:oidc:*`)).toEqual([]);
    await expect(oidc.complete(callback)).rejects.toMatchObject({ code: "CAREHUB_ERR_CONSOLE_SIGN_IN_FAILED" });
  });

  it("refuses a callback whose state it did not issue, or whose code was made for another sign-in", async () => {
    const oidc = signIn(testNamespace("oidc"));
    const first = await oidc.begin();
    const second = await oidc.begin();
    const callback = new URLSearchParams(await signInAtProvider(first, "viewer"));
    // The code of the first, with the state of the second (catches PKCE or state not checked against each other).
    callback.set("state", second.searchParams.get("state") ?? "");
    await expect(oidc.complete(`?${callback}`)).rejects.toMatchObject({ code: "CAREHUB_ERR_CONSOLE_SIGN_IN_FAILED" });
    await expect(oidc.complete("?code=forged&state=never-issued")).rejects.toMatchObject({
      code: "CAREHUB_ERR_CONSOLE_SIGN_IN_FAILED",
    });
  });
});
