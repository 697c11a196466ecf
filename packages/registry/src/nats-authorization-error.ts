import { PermanentError } from "@carehub/schemas";

export const REGISTRY_NATS_AUTHORIZATION = "CAREHUB_ERR_REGISTRY_NATS_AUTHORIZATION";

/**
 * The registry (or the hub user given with it) cannot be turned into a safe nats-server authorization: an
 * endpoint names a NATS user without a key, an inbox subject other than its own, or the hub's user name or
 * password hash is unusable. Lists every problem at once; nothing is written.
 */
export class NatsAuthorizationError extends PermanentError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(REGISTRY_NATS_AUTHORIZATION, `cannot write the NATS authorization:\n  ${problems.join("\n  ")}`);
    this.name = "NatsAuthorizationError";
    this.problems = problems;
  }
}

export function isNatsAuthorizationError(value: unknown): value is NatsAuthorizationError {
  return value instanceof NatsAuthorizationError;
}
