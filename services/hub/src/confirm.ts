// Asking before a destructive command (`rebuild` drops the read model). Without a terminal there is nobody to
// ask: the command refuses, and says that --yes is how a script confirms.
import { createInterface } from "node:readline/promises";

export interface ConfirmIo {
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
}

/** True when the operator typed yes. The question goes to stderr, so stdout stays the command's output. */
export async function confirmRebuild(namespace: string, io: ConfirmIo): Promise<boolean> {
  const what = `rebuild drops the Redis read model of namespace ${namespace} and rebuilds it from the streams`;
  if (io.stdin === undefined || io.stdin.isTTY !== true) {
    io.stderr.write(`carehub: ${what}; not a terminal, so nobody to ask: run it with --yes to confirm\n`);
    return false;
  }
  const prompt = createInterface({ input: io.stdin, output: io.stderr });
  try {
    const answer = await prompt.question(`${what}. Continue? [y/N] `);
    const yes = /^y(es)?$/i.test(answer.trim());
    if (!yes) io.stderr.write("carehub: rebuild not confirmed; nothing dropped\n");
    return yes;
  } finally {
    prompt.close();
  }
}
