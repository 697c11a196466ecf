import type { BusinessStatus, ParsedMessage } from "@carehub/schemas";
import { type FhirWireFormat, makeStatusUpdate, organization } from "./message-factory.ts";
import type { Random } from "./random.ts";
import type { Reaction } from "./reactions.ts";
import type { SimEndpoint } from "./world.ts";

const DAY = 86_400_000;

/** What a status update is about: a referral, a task or an appointment. */
export type StatusSubject = { type: "referral" | "task" | "appointment"; id: string };

/** What a status update may carry beyond its subject and status. */
export interface StatusExtras {
  basedOn?: StatusSubject;
  /** The appointment starts this many days after the update is sent. */
  appointmentInDays?: number;
  /** The planned window, in days after the update is sent. */
  windowInDays?: [number, number];
  reason?: string;
}

/**
 * The reactions `self` plans to a received `message`, one after another: each waits a random delay after the one
 * before (drawn when it is planned, so the random stream decides the order of draws and a run is reproducible).
 * Status updates go back to the message's originator with the message's patient; `after` lets a caller plan a
 * reaction of another kind on the same clock.
 */
export class StatusReactions {
  readonly reactions: Reaction[] = [];
  #at = 0;
  readonly #self: SimEndpoint;
  readonly #originator: SimEndpoint;
  readonly #random: Random;
  readonly #format: FhirWireFormat;
  readonly #patient: ReturnType<typeof patientOf>;

  constructor(
    message: ParsedMessage,
    self: SimEndpoint,
    originator: SimEndpoint,
    random: Random,
    format: FhirWireFormat,
  ) {
    this.#self = self;
    this.#originator = originator;
    this.#random = random;
    this.#format = format;
    this.#patient = patientOf(message);
  }

  /** Moves the clock on by a random delay in `[min, max]` ms; the time of the next reaction. */
  after(delay: [number, number]): number {
    this.#at += this.#random.int(delay[0], delay[1]);
    return this.#at;
  }

  /** A status update about `subject`, `delay` after the reaction before. */
  status(delay: [number, number], subject: StatusSubject, status: BusinessStatus, extra: StatusExtras = {}): void {
    const afterMs = this.after(delay);
    const ids = { bundleId: this.#random.uuid(), messageHeaderId: this.#random.uuid() };
    const { basedOn, appointmentInDays, windowInDays, reason } = extra;
    const [self, originator, format, patient] = [this.#self, this.#originator, this.#format, this.#patient];
    this.reactions.push({
      afterMs,
      to: originator,
      status,
      variant: `status-update/${subject.type}/${status}`,
      build: (now) =>
        makeStatusUpdate(
          {
            ids,
            now: now.toISOString(),
            sender: organization(self),
            receiver: organization(originator),
            ...patient,
            subject,
            status,
            occurredAt: now.toISOString(),
            ...(basedOn === undefined ? {} : { basedOn }),
            ...(appointmentInDays === undefined ? {} : { appointment: { start: inDays(now, appointmentInDays) } }),
            ...(windowInDays === undefined
              ? {}
              : { plannedWindow: { start: inDays(now, windowInDays[0]), end: inDays(now, windowInDays[1]) } }),
            ...(reason === undefined ? {} : { reason }),
          },
          format,
        ),
    });
  }
}

function patientOf(message: ParsedMessage) {
  return message.patient === undefined ? {} : { patient: { identifier: message.patient } };
}

function inDays(now: Date, days: number): string {
  return new Date(now.getTime() + days * DAY).toISOString();
}
