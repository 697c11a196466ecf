import { describe, expect, it } from "vitest";
import { CONSOLE_ENV, DEFAULT_CONSOLE_OPTIONS, parseConsoleOptions, secureCookiesOn } from "./console-settings.ts";

describe("parseConsoleOptions", () => {
  it("takes the defaults, a port (0 for a free one) and a session lifetime", () => {
    expect(parseConsoleOptions({})).toEqual(DEFAULT_CONSOLE_OPTIONS);
    expect(parseConsoleOptions({ [CONSOLE_ENV.port]: "0", [CONSOLE_ENV.sessionTtlSeconds]: "60" })).toEqual({
      port: 0,
      sessionTtlSeconds: 60,
      secureCookies: "auto",
    });
  });

  it("makes session cookies Secure unless told otherwise or listening on loopback (http://localhost)", () => {
    expect(parseConsoleOptions({ [CONSOLE_ENV.secureCookies]: "false" }).secureCookies).toBe(false);
    expect(parseConsoleOptions({ [CONSOLE_ENV.secureCookies]: "TRUE" }).secureCookies).toBe(true);
    // Catches the default flipped to off: a console on a real interface sends the cookie over HTTPS only.
    expect(secureCookiesOn("auto", "0.0.0.0")).toBe(true);
    expect(secureCookiesOn("auto", "10.1.2.3")).toBe(true);
    expect(secureCookiesOn("auto", "127.0.0.1")).toBe(false);
    expect(secureCookiesOn("auto", "localhost")).toBe(false);
    expect(secureCookiesOn("auto", "::1")).toBe(false);
    expect(secureCookiesOn(true, "127.0.0.1")).toBe(true);
    expect(secureCookiesOn(false, "0.0.0.0")).toBe(false);
    expect(() => parseConsoleOptions({ [CONSOLE_ENV.secureCookies]: "yes" })).toThrow(
      expect.objectContaining({ problems: [expect.stringContaining(CONSOLE_ENV.secureCookies)] }),
    );
  });

  it("reports every bad value at once", () => {
    expect(() => parseConsoleOptions({ [CONSOLE_ENV.port]: "70000", [CONSOLE_ENV.sessionTtlSeconds]: "0" })).toThrow(
      expect.objectContaining({
        code: "CAREHUB_ERR_CONFIG_INVALID",
        problems: [expect.stringContaining(CONSOLE_ENV.port), expect.stringContaining(CONSOLE_ENV.sessionTtlSeconds)],
      }),
    );
  });

  it("takes OpenID Connect sign-in only with an issuer, a client id and a redirect URL; the claim defaults to sub", () => {
    expect(parseConsoleOptions({}).oidc).toBeUndefined();
    expect(
      parseConsoleOptions({
        [CONSOLE_ENV.oidcIssuer]: "https://idp.example",
        [CONSOLE_ENV.oidcClientId]: "console",
        [CONSOLE_ENV.oidcRedirectUrl]: "https://console.example/api/oidc/callback",
      }).oidc,
    ).toEqual({
      issuer: "https://idp.example",
      clientId: "console",
      redirectUrl: "https://console.example/api/oidc/callback",
      operatorClaim: "sub",
    });
    // Catches a half-configured provider accepted at start (sign-in would then fail for everyone at run time).
    expect(() => parseConsoleOptions({ [CONSOLE_ENV.oidcIssuer]: "https://idp.example" })).toThrow(
      expect.objectContaining({
        problems: [
          expect.stringContaining(CONSOLE_ENV.oidcRedirectUrl),
          expect.stringContaining(CONSOLE_ENV.oidcClientId),
        ],
      }),
    );
  });
});
