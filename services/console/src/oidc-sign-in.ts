import type { Redis } from "ioredis";
import * as oidc from "openid-client";
import { z } from "zod";
import { CONSOLE_ERROR_CODES, ConsoleRequestError } from "./console-errors.ts";
import { consoleKeys } from "./console-keys.ts";

/** How long a browser has between leaving for the identity provider and coming back (seconds). */
export const OIDC_PENDING_TTL_SECONDS = 600;

/** OpenID Connect sign-in settings (CAREHUB_CONSOLE_OIDC_*; console-settings.ts). */
export interface OidcOptions {
  /** The identity provider's issuer URL (its discovery document is read from it). */
  issuer: string;
  clientId: string;
  /** A confidential client's secret; without one the console is a public client (PKCE alone). */
  clientSecret?: string;
  /** The console's callback as the identity provider knows it: `<console URL>/api/oidc/callback`. */
  redirectUrl: string;
  /** The ID-token claim whose value is the registry operator id (default `sub`); the role is the registry's. */
  operatorClaim: string;
}

export interface OidcSignIn {
  /** A fresh authorization URL (code flow, PKCE S256, state and nonce kept in Redis for one use). */
  begin(): Promise<URL>;
  /**
   * At the callback, with its query string: checks state, nonce and PKCE, exchanges the code; answers the operator
   * id the claim names. The callback is read as `redirectUrl` + the query (the URL the provider was told).
   */
  complete(query: string): Promise<string>;
}

const Pending = z.object({ verifier: z.string(), nonce: z.string() });

/**
 * OpenID Connect sign-in (authorization code + PKCE) with openid-client. Who may sign in and with which role stays
 * the registry's: the ID token's `operatorClaim` must name a registry operator (checked by the caller), exactly as
 * a token sign-in must match one. The identity provider's discovery is read on first use and kept; an `http:`
 * issuer is accepted only on a loopback address (development and tests).
 */
export function oidcSignIn(options: OidcOptions & { redis: Redis; namespace: string }): OidcSignIn {
  const keys = consoleKeys(options.namespace);
  let discovered: Promise<oidc.Configuration> | undefined;
  const configuration = () => {
    discovered ??= discover(options).catch((error: unknown) => {
      discovered = undefined;
      throw new ConsoleRequestError(
        503,
        CONSOLE_ERROR_CODES.signInUnavailable,
        "the identity provider does not answer",
        {
          cause: error,
        },
      );
    });
    return discovered;
  };
  return {
    async begin() {
      const config = await configuration();
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      await options.redis.set(
        keys.oidcPending(state),
        JSON.stringify({ verifier, nonce }),
        "EX",
        OIDC_PENDING_TTL_SECONDS,
      );
      return oidc.buildAuthorizationUrl(config, {
        redirect_uri: options.redirectUrl,
        scope: "openid",
        response_type: "code",
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: "S256",
        state,
        nonce,
      });
    },
    async complete(query) {
      const callbackUrl = new URL(options.redirectUrl);
      callbackUrl.search = query;
      const failed = (cause?: unknown) =>
        new ConsoleRequestError(
          401,
          CONSOLE_ERROR_CODES.signInFailed,
          "the identity provider's sign-in did not complete",
          {
            cause,
          },
        );
      const state = callbackUrl.searchParams.get("state");
      if (state === null || !/^[A-Za-z0-9_-]{1,128}$/.test(state)) throw failed();
      // One use: a replayed callback finds nothing.
      const raw = await options.redis.getdel(keys.oidcPending(state));
      const pending = raw === null ? undefined : Pending.safeParse(JSON.parse(raw));
      if (pending?.success !== true) throw failed();
      const config = await configuration();
      let claims: oidc.IDToken | undefined;
      try {
        const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
          pkceCodeVerifier: pending.data.verifier,
          expectedState: state,
          expectedNonce: pending.data.nonce,
          idTokenExpected: true,
        });
        claims = tokens.claims();
      } catch (error) {
        throw failed(error);
      }
      const operatorId = claims?.[options.operatorClaim];
      if (typeof operatorId !== "string" || operatorId === "") throw failed();
      return operatorId;
    },
  };
}

async function discover(options: OidcOptions): Promise<oidc.Configuration> {
  const issuer = new URL(options.issuer);
  const loopback = ["localhost", "127.0.0.1", "[::1]"].includes(issuer.hostname);
  if (issuer.protocol !== "https:" && !loopback) throw new Error("an OpenID Connect issuer must use https");
  return oidc.discovery(
    issuer,
    options.clientId,
    options.clientSecret,
    options.clientSecret === undefined ? oidc.None() : undefined,
    issuer.protocol === "http:" ? { execute: [oidc.allowInsecureRequests] } : {},
  );
}
