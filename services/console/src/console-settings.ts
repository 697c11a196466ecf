import { ConfigError, positiveWholeNumberFromEnv } from "@carehub/schemas";
import { z } from "zod";
import type { OidcOptions } from "./oidc-sign-in.ts";

/** How the console runs; parsed once at start-up (services/hub/src/service-settings.ts), then frozen. */
export interface ConsoleOptions {
  /** Where the console's web application and its API listen (on HubConfig's httpHost); 0 picks a free port. */
  port: number;
  /** How long a sign-in lasts, counted from the sign-in (seconds); the session's Redis record expires with it. */
  sessionTtlSeconds: number;
  /**
   * Whether the session cookie carries `Secure` (sent over HTTPS only). `auto` (the default): yes, unless the
   * console listens on a loopback address (http://localhost during development); see `secureCookiesOn`.
   */
  secureCookies: boolean | "auto";
  /** OpenID Connect sign-in beside the token sign-in, when CAREHUB_CONSOLE_OIDC_ISSUER is set (oidc-sign-in.ts). */
  oidc?: OidcOptions;
}

export const DEFAULT_CONSOLE_OPTIONS: ConsoleOptions = Object.freeze({
  port: 8090,
  sessionTtlSeconds: 1_800,
  secureCookies: "auto",
});

export const CONSOLE_ENV = {
  port: "CAREHUB_CONSOLE_PORT",
  sessionTtlSeconds: "CAREHUB_CONSOLE_SESSION_TTL_SECONDS",
  secureCookies: "CAREHUB_CONSOLE_SECURE_COOKIES",
  oidcIssuer: "CAREHUB_CONSOLE_OIDC_ISSUER",
  oidcClientId: "CAREHUB_CONSOLE_OIDC_CLIENT_ID",
  oidcClientSecret: "CAREHUB_CONSOLE_OIDC_CLIENT_SECRET",
  oidcRedirectUrl: "CAREHUB_CONSOLE_OIDC_REDIRECT_URL",
  oidcOperatorClaim: "CAREHUB_CONSOLE_OIDC_OPERATOR_CLAIM",
} as const;

const LOOPBACK = new Set(["localhost", "127.0.0.1", "::1", "[::1]"]);

/** Whether session cookies are Secure on a console listening on `host` (CAREHUB_HTTP_HOST). */
export function secureCookiesOn(option: ConsoleOptions["secureCookies"], host: string): boolean {
  if (option !== "auto") return option;
  return !(LOOPBACK.has(host.toLowerCase()) || host.startsWith("127."));
}

const Port = z.coerce.number().int().min(0).max(65_535);

/** Reads the console's settings from the environment; every problem is reported at once. */
export function parseConsoleOptions(env: Record<string, string | undefined>): ConsoleOptions {
  const problems: string[] = [];
  let port: number | undefined;
  const rawPort = env[CONSOLE_ENV.port];
  if (rawPort !== undefined && rawPort !== "") {
    const parsed = Port.safeParse(rawPort);
    if (parsed.success) port = parsed.data;
    else problems.push(`${CONSOLE_ENV.port}: must be a port number (0-65535), got ${JSON.stringify(rawPort)}`);
  }
  const sessionTtlSeconds = positiveWholeNumberFromEnv(env, CONSOLE_ENV.sessionTtlSeconds, problems);
  const rawSecure = env[CONSOLE_ENV.secureCookies];
  let secureCookies: ConsoleOptions["secureCookies"] | undefined;
  if (rawSecure !== undefined && rawSecure !== "") {
    const value = rawSecure.trim().toLowerCase();
    if (value === "true" || value === "false" || value === "auto") {
      secureCookies = value === "auto" ? "auto" : value === "true";
    } else {
      problems.push(`${CONSOLE_ENV.secureCookies}: must be true, false or auto, got ${JSON.stringify(rawSecure)}`);
    }
  }
  const oidc = parseOidc(env, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    ...DEFAULT_CONSOLE_OPTIONS,
    ...(port === undefined ? {} : { port }),
    ...(sessionTtlSeconds === undefined ? {} : { sessionTtlSeconds }),
    ...(secureCookies === undefined ? {} : { secureCookies }),
    ...(oidc === undefined ? {} : { oidc }),
  });
}

function parseOidc(env: Record<string, string | undefined>, problems: string[]): OidcOptions | undefined {
  const value = (name: string) => {
    const raw = env[name]?.trim();
    return raw === undefined || raw === "" ? undefined : raw;
  };
  const issuer = value(CONSOLE_ENV.oidcIssuer);
  if (issuer === undefined) return undefined;
  const url = (name: string, text: string | undefined) => {
    if (text === undefined) problems.push(`${name}: required with ${CONSOLE_ENV.oidcIssuer}`);
    else if (!URL.canParse(text)) problems.push(`${name}: must be a URL`);
  };
  const clientId = value(CONSOLE_ENV.oidcClientId);
  const redirectUrl = value(CONSOLE_ENV.oidcRedirectUrl);
  url(CONSOLE_ENV.oidcIssuer, issuer);
  url(CONSOLE_ENV.oidcRedirectUrl, redirectUrl);
  if (clientId === undefined) problems.push(`${CONSOLE_ENV.oidcClientId}: required with ${CONSOLE_ENV.oidcIssuer}`);
  const clientSecret = value(CONSOLE_ENV.oidcClientSecret);
  return {
    issuer,
    clientId: clientId ?? "",
    redirectUrl: redirectUrl ?? "",
    operatorClaim: value(CONSOLE_ENV.oidcOperatorClaim) ?? "sub",
    ...(clientSecret === undefined ? {} : { clientSecret }),
  };
}
