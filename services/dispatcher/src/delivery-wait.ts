import { RetryableError } from "@carehub/schemas";

/** Why a delivery waits without counting an attempt, or after a counted failed attempt. */
export const WAIT_CODES = {
  backoff: "CAREHUB_ERR_DELIVERY_BACKOFF",
  circuitOpen: "CAREHUB_ERR_DELIVERY_CIRCUIT_OPEN",
  waitingForPredecessor: "CAREHUB_ERR_DELIVERY_WAITING_FOR_PREDECESSOR",
} as const;

/**
 * Hand the message back and try it again after `retryInMs`. The bus naks retryable errors; the dispatcher
 * consumers never run out of deliveries (the dispatcher counts real attempts itself, in Redis), so a wait
 * for an open circuit or an earlier message never burns an attempt.
 */
export class DeliveryWait extends RetryableError {
  readonly retryInMs: number;

  constructor(code: string, message: string, retryInMs: number) {
    super(code, message);
    this.name = "DeliveryWait";
    this.retryInMs = Math.max(0, Math.round(retryInMs));
  }
}
