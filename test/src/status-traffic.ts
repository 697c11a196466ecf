import { randomUUID } from "node:crypto";
import {
  buildStatusUpdate,
  type MessagingOrganization,
  type PatientInput,
  type StatusUpdateInput,
} from "@carehub/medcom-fhir";
import type { BusinessStatus } from "@carehub/schemas";
import { expect } from "vitest";
import type { Harness } from "./harness.ts";

/** What a status update may carry beyond its subject and status: the appointment, the window, what it is based on. */
export type StatusExtras = Partial<Pick<StatusUpdateInput, "basedOn" | "appointment" | "plannedWindow">>;

export interface StatusTraffic {
  /** The next message time: one hour after the previous one, so facts fold in the order they were sent. */
  nextTime(): string;
  /** POSTs FHIR JSON as `from` and expects 202; the hub id. */
  send(from: string, json: string): Promise<string>;
  /** A status update from `from` to `to` about `subject`, stamped with the next time. */
  sendStatus(
    from: string,
    to: string,
    subject: StatusUpdateInput["subject"],
    status: BusinessStatus,
    extras?: StatusExtras,
  ): Promise<{ hubId: string; messageId: string }>;
}

/** The business-status traffic the status suites send through a harness's real gateway, written once. */
export function statusTraffic(options: {
  harness: () => Harness;
  organisations: Readonly<Record<string, MessagingOrganization>>;
  patient: PatientInput;
  start?: string;
}): StatusTraffic {
  let clock = Date.parse(options.start ?? "2026-04-01T08:00:00Z");
  const organisation = (id: string): MessagingOrganization => {
    const found = options.organisations[id];
    if (found === undefined) throw new Error(`no organisation for endpoint ${id}`);
    return found;
  };
  const nextTime = () => {
    clock += 3_600_000;
    return new Date(clock).toISOString();
  };
  const send = async (from: string, json: string): Promise<string> => {
    const response = await options.harness().send(from, json, "application/fhir+json");
    expect(response.status).toBe(202);
    return ((await response.json()) as { id: string }).id;
  };
  return {
    nextTime,
    send,
    async sendStatus(from, to, subject, status, extras = {}) {
      const messageId = randomUUID();
      const now = nextTime();
      const built = buildStatusUpdate({
        ids: { bundleId: randomUUID(), messageHeaderId: messageId },
        now,
        sender: organisation(from),
        receiver: organisation(to),
        patient: options.patient,
        subject,
        status,
        occurredAt: now,
        ...extras,
      });
      return { hubId: await send(from, built.json), messageId };
    },
  };
}
