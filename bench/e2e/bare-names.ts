/** Names the bare pipeline's processes share (kept apart from bare-process.ts, which runs on import). */
export const BARE_STREAM = "BARE";
/** bare.s0 is the producer's subject, bare.s<n> what hop n publishes. */
export const bareSubject = (n: number): string => `bare.s${n}`;
/** The producer's send time (epoch ms, fractional), carried through every hop for the latency. */
export const SENT_HEADER = "Bench-Sent";
