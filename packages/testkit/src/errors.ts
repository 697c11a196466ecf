import { PermanentError } from "@carehub/schemas";

export const TESTKIT_ERROR_CODES = [
  "CAREHUB_ERR_TESTKIT_NO_DOCKER",
  "CAREHUB_ERR_TESTKIT_START_FAILED",
  "CAREHUB_ERR_TESTKIT_NO_SERVER",
] as const;

/** A container starter was called on a machine where no Docker engine answers. */
export class TestkitNoDockerError extends PermanentError {
  constructor(what: string) {
    super(
      "CAREHUB_ERR_TESTKIT_NO_DOCKER",
      `${what} needs a Docker engine, and none answers (no /var/run/docker.sock and no DOCKER_HOST that responds to a ping); use startNatsServer / startRedisServer instead`,
    );
    this.name = "TestkitNoDockerError";
  }
}

/** A server process did not start or did not become ready in time. */
export class TestkitStartError extends PermanentError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super("CAREHUB_ERR_TESTKIT_START_FAILED", message, options);
    this.name = "TestkitStartError";
  }
}

/** A test asked for the run's NATS or Redis outside a run that provides one (no NATS_URL / REDIS_URL set). */
export class TestkitNoServerError extends PermanentError {
  constructor(variable: string) {
    super(
      "CAREHUB_ERR_TESTKIT_NO_SERVER",
      `${variable} is not set: run tests through vitest (its globalSetup starts private servers on free ports) or set ${variable}`,
    );
    this.name = "TestkitNoServerError";
  }
}
