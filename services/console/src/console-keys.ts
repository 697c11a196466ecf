/**
 * The console's Redis keys, spelled once (docs/contracts.md "Redis keys"). A session is filed under the sha256 of
 * its cookie value, so whoever reads Redis cannot sign in with what they find there.
 */
export interface ConsoleKeys {
  session(idSha256: string): string;
}

export function consoleKeys(ns: string): ConsoleKeys {
  return {
    session: (idSha256) => `${ns}:console:session:${idSha256}`,
  };
}
