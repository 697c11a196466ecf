/**
 * The V8 flags every `carehub start` process runs with (docs/decisions/0076-young-generation-cap.md). V8 sizes the
 * young generation from the heap limit: on a machine with a few GB it lets each semi-space grow to 64 MiB, and a
 * gateway under overload grew its new space to 64–128 MiB of resident memory that it never gave back (the
 * 3× overload of docs/reliability.md). Capped at 8 MiB a semi-space (16 MiB of new space) the gateway's RSS
 * fell by about 50 MB in the bounded overload. The flag takes full effect only when the process starts: V8 sizes
 * the heap from it then. Set later with `v8.setFlagsFromString`, it acts only in part (measured on Node 24.21: a
 * churning loop's new space was 32 MiB with the flag set at run time, 16 MiB with it on the command line, 128 MiB
 * with neither), so the CLI re-execs itself with the flag instead.
 */
export const HUB_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=8"];

/**
 * The flags of HUB_NODE_FLAGS this process did not start with: neither on its command line nor in NODE_OPTIONS.
 * A flag the operator set to another value (e.g. `NODE_OPTIONS=--max-semi-space-size=32`) counts as set: theirs wins.
 */
export function missingNodeFlags(execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  const given = [...execArgv, ...(nodeOptions ?? "").split(/\s+/)];
  return HUB_NODE_FLAGS.filter((flag) => {
    const name = flag.split("=")[0] as string;
    return !given.some((arg) => arg === name || arg.startsWith(`${name}=`));
  });
}
