import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import Provider from "oidc-provider";

/** The console's client at the in-test identity provider. */
export const TEST_CLIENT = { id: "carehub-console", secret: "a-test-secret-for-the-console-client" } as const;

/**
 * A tiny, real OpenID Connect provider (oidc-provider) on loopback, for tests: one confidential client, every
 * account id signs in with any password and gets `sub` = that id. Its own login and consent pages are used.
 */
export async function startTestProvider(redirectUri: string): Promise<{ issuer: string; close(): Promise<void> }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: TEST_CLIENT.id,
        client_secret: TEST_CLIENT.secret,
        redirect_uris: [redirectUri],
        token_endpoint_auth_method: "client_secret_basic",
      },
    ],
    findAccount: async (_ctx, id) => ({ accountId: id, claims: async () => ({ sub: id }) }),
  });
  server.on("request", provider.callback());
  return {
    issuer,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A browser's cookie jar and manual redirects, enough for the provider's pages. */
function browser(base: string) {
  const jar = new Map<string, string>();
  return async (url: string, init: { method?: string; form?: Record<string, string> } = {}) => {
    const response = await fetch(new URL(url, base), {
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
}

/**
 * Signs `account` in at the provider from an authorization URL (login, then consent) and answers the URL the
 * provider sends the browser back to (the redirect URI with the code and state).
 */
export async function signInAtProvider(issuer: string, authorization: URL, account: string): Promise<URL> {
  const go = browser(issuer);
  const login = await go(authorization.href);
  if (!login.location.startsWith("/interaction/")) throw new Error(`no login page: ${login.status} ${login.location}`);
  const afterLogin = await go(login.location, {
    method: "POST",
    form: { prompt: "login", login: account, password: "x" },
  });
  const consent = await go(afterLogin.location);
  if (!consent.location.startsWith("/interaction/")) throw new Error(`no consent page: ${consent.location}`);
  const afterConsent = await go(consent.location, { method: "POST", form: { prompt: "consent" } });
  const back = await go(afterConsent.location);
  return new URL(back.location);
}
