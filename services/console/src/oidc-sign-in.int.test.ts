import { sharedRedisUrl, testNamespace } from "@carehub/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signInAtProvider as atProvider, startTestProvider, TEST_CLIENT } from "./oidc-provider.test-support.ts";
import { type OidcSignIn, oidcSignIn } from "./oidc-sign-in.ts";

/*
 * OpenID Connect sign-in against a real, tiny identity provider (oidc-provider) on loopback: authorization code
 * with PKCE, state and nonce; the provider's own login and consent pages are driven over HTTP as a browser would.
 */

const REDIRECT = "http://127.0.0.1:9/api/oidc/callback"; // never called: the test reads the redirect itself
let provider: Awaited<ReturnType<typeof startTestProvider>>;
let issuer: string;
let redis: Redis;

beforeAll(async () => {
  provider = await startTestProvider(REDIRECT);
  issuer = provider.issuer;
  redis = new Redis(sharedRedisUrl(), { maxRetriesPerRequest: 2 });
});

afterAll(async () => {
  await provider.close();
  await redis.quit();
});

/** Signs `account` in at the provider; answers the query of the console's callback. */
async function signInAtProvider(authorization: URL, account: string): Promise<string> {
  const back = await atProvider(issuer, authorization, account);
  expect(back.href.startsWith(REDIRECT), back.href).toBe(true);
  return back.search;
}

function signIn(namespace: string): OidcSignIn {
  return oidcSignIn({
    issuer,
    clientId: TEST_CLIENT.id,
    clientSecret: TEST_CLIENT.secret,
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
